// PNG screenshots in tests: decoded with Debian's libstb (stbi_load, loaded at run time so the
// tests need no stb headers), and what a person would check on them (pixels of a colour in a
// rectangle).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "viewer/colors.h"
#include "viewer/layout.h"

namespace twin::test {

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgba;  // (width * height * 4) rows top first
  viewer::Rgba at(int x, int y) const {
    const size_t i =
        (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
    return {rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]};
  }
};

// False with `error` set when the file cannot be read or decoded.
bool load_png(const std::string& path, Image& image, std::string& error);

// Pixels inside `r` [px] within `tolerance` of `color` in each of r, g and b.
size_t count_color(const Image& image, const viewer::Rect& r, viewer::Rgba color, int tolerance);

}  // namespace twin::test
