#pragma once
// uap-core's regexes are written for PCRE. RE2 lacks a few PCRE constructs; some have an
// equivalent that RE2 accepts, because RE2 never backtracks.

#include <optional>
#include <string>
#include <string_view>

namespace bklit::enrich {

// Rewrites possessive quantifiers (a++, a*+, a?+, a{2}+) as plain ones, atomic groups
// (?>...) as non-capturing groups and \Z as $. Both forms only exist to stop backtracking,
// so they match the same text in practice. Returns nullopt when nothing was rewritten.
std::optional<std::string> translate_pcre_for_re2(std::string_view pattern);

// A pattern that matches everything the given one matches, and maybe more: counted
// repetitions with an upper bound above kMaxKeptRepeat ("x{0,300}", "x{1,200}?") become
// "x*" / "x+". uap-core bounds repetitions to keep PCRE fast, but in an RE2::Set each bound
// multiplies DFA states; the relaxed form is only used to find candidate rules, which are
// then confirmed with their exact regex.
std::string relax_counted_repetitions(std::string_view pattern);
inline constexpr int kMaxKeptRepeat = 4;

}  // namespace bklit::enrich
