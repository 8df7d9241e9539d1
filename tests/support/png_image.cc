#include "tests/support/png_image.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>

namespace twin::test {

bool load_png(const std::string& path, Image& image, std::string& error) {
  using LoadFn = unsigned char* (*)(const char*, int*, int*, int*, int);
  using FreeFn = void (*)(void*);
  void* lib = dlopen("libstb.so.0", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    error = std::string("cannot load libstb.so.0 (package libstb0): ") + dlerror();
    return false;
  }
  auto load = reinterpret_cast<LoadFn>(dlsym(lib, "stbi_load"));
  auto release = reinterpret_cast<FreeFn>(dlsym(lib, "stbi_image_free"));
  bool ok = false;
  if (load == nullptr || release == nullptr) {
    error = "libstb.so.0 has no stbi_load";
  } else {
    int channels = 0;
    unsigned char* data = load(path.c_str(), &image.width, &image.height, &channels, 4);
    if (data == nullptr) {
      error = "cannot decode " + path;
    } else {
      image.rgba.assign(data, data + static_cast<size_t>(image.width) * image.height * 4);
      release(data);
      ok = true;
    }
  }
  dlclose(lib);
  return ok;
}

size_t count_color(const Image& image, const viewer::Rect& r, viewer::Rgba color, int tolerance) {
  size_t n = 0;
  const int y0 = std::max(static_cast<int>(r.y0), 0),
            y1 = std::min(static_cast<int>(r.y1), image.height);
  const int x0 = std::max(static_cast<int>(r.x0), 0),
            x1 = std::min(static_cast<int>(r.x1), image.width);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      const viewer::Rgba c = image.at(x, y);
      if (std::abs(c.r - color.r) <= tolerance && std::abs(c.g - color.g) <= tolerance &&
          std::abs(c.b - color.b) <= tolerance)
        ++n;
    }
  }
  return n;
}

}  // namespace twin::test
