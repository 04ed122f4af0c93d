#pragma once
// PubSub within one process (`bklit serve`): publish() hands the message to the dispatcher
// thread's bounded queue and returns; a message that finds the queue full is dropped and
// counted. Always healthy.

#include <memory>

#include "bklit/realtime/pub_sub.hpp"

namespace bklit::realtime {

std::unique_ptr<PubSub> make_in_process_pub_sub(const PubSubOptions& options = {});

}  // namespace bklit::realtime
