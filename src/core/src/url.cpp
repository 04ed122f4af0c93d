#include "bklit/core/url.hpp"

#include <idn2.h>

#include <algorithm>
#include <array>
#include <boost/url/grammar/parse.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/rfc/pct_encoded_rule.hpp>
#include <boost/url/rfc/sub_delim_chars.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <charconv>
#include <memory>
#include <utility>

#include "bklit/core/text.hpp"

namespace bklit::core {

namespace {

Error host_error(std::string phrase) { return make_error("invalid_host", std::move(phrase)); }

// Bytes of a host name in its one spelling, by byte: 0 when not allowed, else the byte
// lowercased. Letters, digits, '-', '_' and '.'.
constexpr std::array<char, 256> kNameChars = [] {
  std::array<char, 256> table{};
  for (char c = 'a'; c <= 'z'; ++c) table[static_cast<unsigned char>(c)] = c;
  for (char c = 'A'; c <= 'Z'; ++c) table[static_cast<unsigned char>(c)] = ascii_lower(c);
  for (char c = '0'; c <= '9'; ++c) table[static_cast<unsigned char>(c)] = c;
  for (char c : {'-', '_', '.'}) table[static_cast<unsigned char>(c)] = c;
  return table;
}();

char name_char(char c) { return kNameChars[static_cast<unsigned char>(c)]; }

// Characters RFC 3986 allows in a reg-name besides percent escapes.
bool is_reg_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
}

std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u == 0x7f) return "a control character";
  if (c == ' ') return "the character ' '";
  return std::string("the character '") + c + "'";
}

// Why a reg-name does not follow the grammar: the first thing a user can fix.
Error describe_rejection(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '%') {
      if (i + 2 >= name.size() || hex_value(name[i + 1]) < 0 || hex_value(name[i + 2]) < 0) {
        return host_error("has a '%' that is not a percent escape");
      }
      i += 2;
    } else if (!is_reg_name_char(c) && static_cast<unsigned char>(c) < 0x80) {
      return host_error("contains " + describe_char(c));
    }
  }
  return host_error("is not a valid host name");
}

// Unicode -> punycode, per IDNA2008 with the UTS 46 mapping browsers apply (case folding,
// full-width dots), so "Café.example" and "xn--caf-dma.example" are one host.
Result<std::string> to_ascii_name(const std::string& unicode) {
  if (!is_valid_utf8(unicode)) return host_error("contains bytes that are not UTF-8 text");
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(unicode.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(out, &idn2_free);
  if (rc != IDN2_OK || out == nullptr) {
    return host_error("is not a valid international domain name");
  }
  return std::string(out);
}

// A decoded reg-name -> Host, or why it is not one.
Result<Host> name_host(std::string name) {
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return host_error("has no host name");
  if (std::ranges::any_of(name, [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    // libidn2 reads a C string: a NUL would cut the name short unseen.
    if (name.find('\0') != std::string::npos) return host_error("contains a control character");
    auto ascii = to_ascii_name(name);
    if (!ascii) return ascii.error();
    name = std::move(ascii).value();
  }
  // One pass: lowercase, check each byte, find empty labels, see if the last is a number.
  std::size_t label_start = 0;
  bool numeric_label = true;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name_char(name[i]);
    if (c == 0) return host_error("contains " + describe_char(name[i]));
    name[i] = c;
    if (c == '.') {
      if (i == label_start) return host_error("has an empty part between dots");
      label_start = i + 1;
      numeric_label = true;
    } else {
      numeric_label = numeric_label && c >= '0' && c <= '9';
    }
  }
  if (name.size() > kMaxHostBytes) return host_error("is longer than 253 characters");
  // A name whose last label is a number is an IPv4 address in the WHATWG URL standard;
  // anything but a valid one is not a host.
  if (numeric_label) {
    auto v4 = boost::urls::parse_ipv4_address(name);
    if (!v4) return host_error("is not a valid IPv4 address");
    return Host{HostKind::kIpv4, v4->to_string()};
  }
  return Host{HostKind::kName, std::move(name)};
}

// host = IP-literal / IPv4address / reg-name (RFC 3986 section 3.2.2), each read with
// Boost.URL's rules. Its parse_authority is not used because Boost 1.81 rejects a reg-name
// that starts like an IPv4 address ("1.2.3.4.nip.io", "127.0.0.1.").
Result<Host> parse_host(std::string_view text) {
  if (text.starts_with('[')) {
    const std::string_view inner = text.substr(1, text.size() - 2);
    if (!inner.empty() && (inner.front() == 'v' || inner.front() == 'V')) {
      return host_error("has an IP address in a form that is not supported");
    }
    const auto v6 = boost::urls::parse_ipv6_address(inner);
    if (!v6) return host_error("has a malformed IPv6 address");
    return Host{HostKind::kIpv6, "[" + v6->to_string() + "]"};
  }
  // Nearly every host is plain letters, digits, '-', '_' and dots: nothing to decode, and
  // name_host tells an IPv4 address by its numeric last label.
  if (std::ranges::all_of(text, [](char c) { return name_char(c) != 0; })) {
    return name_host(std::string(text));
  }
  // The grammar is ASCII: a host typed in Unicode goes in percent-encoded and comes out
  // decoded.
  std::string ascii;
  ascii.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80) {
      ascii.push_back(c);
    } else {
      constexpr std::string_view kHex = "0123456789ABCDEF";
      ascii.push_back('%');
      ascii.push_back(kHex[u >> 4]);
      ascii.push_back(kHex[u & 0xf]);
    }
  }
  namespace urls = boost::urls;
  const auto reg_name = urls::grammar::parse(
      ascii, urls::pct_encoded_rule(urls::unreserved_chars + urls::sub_delim_chars));
  if (!reg_name) return describe_rejection(text);
  return name_host(reg_name->decode());
}

}  // namespace

std::size_t find_authority_end(std::string_view s, std::size_t from) {
  // Not find_first_of: libstdc++ runs a memchr over the set for every byte of s.
  for (std::size_t i = from; i < s.size(); ++i) {
    if (s[i] == '/' || s[i] == '?' || s[i] == '#') return i;
  }
  return std::string_view::npos;
}

std::string_view Host::address() const {
  std::string_view s = text;
  if (kind == HostKind::kIpv6 && s.size() >= 2) s = s.substr(1, s.size() - 2);
  return s;
}

UrlParts split_url(std::string_view url) {
  UrlParts parts;
  for (std::size_t i = 0; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') {
      if (i > 0) {
        parts.scheme = url.substr(0, i);
        url.remove_prefix(i + 1);
      }
      break;
    }
    if (c == '/' || c == '?' || c == '#') break;
  }
  if (url.starts_with("//")) {
    url.remove_prefix(2);
    const auto end = std::min(find_authority_end(url), url.size());
    parts.authority = url.substr(0, end);
    url.remove_prefix(end);
  }
  if (const auto hash = url.find('#'); hash != std::string_view::npos) {
    parts.fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  if (const auto question = url.find('?'); question != std::string_view::npos) {
    parts.query = url.substr(question + 1);
    url = url.substr(0, question);
  }
  parts.path = url;
  return parts;
}

Result<Authority> parse_authority(std::string_view authority) {
  Authority out;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const auto colon = userinfo.find(':');
    out.has_userinfo = true;
    out.user = percent_decode(userinfo.substr(0, colon), false);
    if (colon != std::string_view::npos) {
      out.has_password = true;
      out.password = percent_decode(userinfo.substr(colon + 1), false);
    }
  }
  if (authority.empty() || authority.starts_with(':')) return host_error("has no host name");

  std::string_view host_text = authority;
  std::optional<std::string_view> port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return host_error("has a malformed IPv6 address");
    host_text = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return host_error("has text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host_text = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }

  auto host = parse_host(host_text);
  if (!host) return host.error();
  out.host = std::move(host).value();
  if (port_text) {
    out.has_port = true;
    if (!port_text->empty()) {
      std::uint16_t port = 0;
      const char* end = port_text->data() + port_text->size();
      const auto [ptr, ec] = std::from_chars(port_text->data(), end, port);
      if (ec != std::errc() || ptr != end || port == 0) {
        return host_error("has an invalid port (expected 1 to 65535)");
      }
      out.port = port;
    }
  }
  return out;
}

std::optional<std::string> dns_name_problem(std::string_view name) {
  for (std::size_t start = 0; start <= name.size();) {
    const std::size_t end = std::min(name.find('.', start), name.size());
    const std::string_view label = name.substr(start, end - start);
    if (label.empty()) return "has an empty part between dots";
    if (label.size() > 63) return "has a part longer than 63 characters";
    if (label.front() == '-' || label.back() == '-') {
      return "has a part that starts or ends with a hyphen";
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string_view typed_domain_authority(std::string_view typed) {
  std::string_view s = trim(typed);
  if (s.find("://") != std::string_view::npos) {
    s = split_url(s).authority.value_or(std::string_view{});
  } else {
    s = s.substr(0, find_authority_end(s));
  }
  if (s.starts_with("*.")) s.remove_prefix(2);
  return s;
}

Result<Host> parse_site(std::string_view domain) {
  auto authority = parse_authority(typed_domain_authority(domain));
  if (!authority) return authority.error();
  return site_of(std::move(authority->host));
}

Host site_of(Host host) {
  if (host.kind == HostKind::kName && host.text.starts_with("www.") &&
      host.text.find('.', 4) != std::string::npos) {
    host.text.erase(0, 4);
  }
  return host;
}

Host known_host(std::string_view text) {
  if (text.starts_with('[')) return Host{HostKind::kIpv6, std::string(text)};
  const std::string_view last = text.substr(text.rfind('.') + 1);
  const bool numeric =
      !last.empty() && std::ranges::all_of(last, [](char c) { return c >= '0' && c <= '9'; });
  return Host{numeric ? HostKind::kIpv4 : HostKind::kName, std::string(text)};
}

bool same_site(const Host& host, const Host& site) {
  if (site.text.empty() || host.kind != site.kind) return false;
  if (host.text == site.text) return true;
  // Subdomains only of names: "x.shop.example" for "shop.example", never "evilshop.example"
  // or "shop.example.evil.com".
  return site.kind == HostKind::kName && host.text.size() > site.text.size() &&
         host.text.ends_with(site.text) &&
         host.text[host.text.size() - site.text.size() - 1] == '.';
}

}  // namespace bklit::core
