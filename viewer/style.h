// The viewer's look: fonts (DejaVu Sans from Debian's fonts-dejavu-core when present, else
// ImGui's built-in font) and the dark style, both scaled for HiDPI.
#pragma once

#include "viewer/ui.h"

namespace twin::viewer {

// Adds the fonts to the current ImGui context's atlas at `scale` (1 = 96 dpi).
Fonts load_fonts(float scale);
// The dark style with the viewer's spacing and colours, sizes scaled by `scale`.
void apply_style(float scale);

}  // namespace twin::viewer
