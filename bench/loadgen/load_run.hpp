#pragma once
// Runs one load according to LoadOptions and returns the merged report.

#include "bklit/core/result.hpp"
#include "metrics.hpp"
#include "options.hpp"

namespace bklit::loadgen {

core::Result<Report> run_load(const LoadOptions& options);

// The project's domain from --origin ("https://shop.example" -> "shop.example").
std::string site_host_of(const std::string& origin);

}  // namespace bklit::loadgen
