// Text made safe for XML, SVG and HTML: the one escaping every drawing and page of ours uses.
#pragma once

#include <string>
#include <string_view>

namespace ipch {

// Returns `s` with & < > " ' as entities and the control characters XML forbids dropped: safe as
// SVG, XML or HTML text and as a quoted attribute value.
std::string xml_escape(std::string_view s);

}  // namespace ipch
