#include "bklit/enrich/screen.hpp"

namespace bklit::enrich {

std::string screen_class(int screen_width) {
  if (screen_width <= 0) return {};
  if (screen_width < 576) return "mobile";
  if (screen_width < 992) return "tablet";
  if (screen_width < 1440) return "laptop";
  return "desktop";
}

}  // namespace bklit::enrich
