// Headless screenshots: an offscreen OpenGL framebuffer to render into, and a PNG writer that
// reads it back with glReadPixels. Needs a current OpenGL 3.3 context.
#pragma once

#include <cstdint>
#include <string>

namespace twin::viewer {

// A framebuffer object with an RGBA8 colour renderbuffer of a fixed size. While bound, all
// drawing goes into it instead of the window, so a hidden window works as well as a shown one.
class OffscreenTarget {
 public:
  OffscreenTarget() = default;
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;
  ~OffscreenTarget();

  // Creates the framebuffer; false (with `error`) when it is incomplete.
  bool create(int width, int height, std::string& error);
  void bind() const;
  static void unbind();

 private:
  uint32_t framebuffer_ = 0;
  uint32_t color_ = 0;
  int width_ = 0, height_ = 0;
};

// Reads width x height pixels of the bound framebuffer (origin bottom left) and writes them top
// row first to a PNG file. Returns false with `error` on failure.
bool write_framebuffer_png(int width, int height, const std::string& path, std::string& error);

}  // namespace twin::viewer
