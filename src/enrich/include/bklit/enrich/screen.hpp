#pragma once

#include <string>

namespace bklit::enrich {

// docs/metrics.md "Devices": <576 mobile, <992 tablet, <1440 laptop, else desktop; 0 or
// negative (unknown) -> empty.
std::string screen_class(int screen_width);

}  // namespace bklit::enrich
