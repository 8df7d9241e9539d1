#include "viewer/screenshot.h"

#include <cstring>
#include <vector>

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include <stb/stb_image_write.h>  // implementation in Debian's libstb

namespace twin::viewer {

OffscreenTarget::~OffscreenTarget() {
  if (color_ != 0) glDeleteRenderbuffers(1, &color_);
  if (framebuffer_ != 0) glDeleteFramebuffers(1, &framebuffer_);
}

bool OffscreenTarget::create(int width, int height, std::string& error) {
  width_ = width;
  height_ = height;
  glGenFramebuffers(1, &framebuffer_);
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
  glGenRenderbuffers(1, &color_);
  glBindRenderbuffer(GL_RENDERBUFFER, color_);
  glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
  glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, color_);
  const GLenum status = glCheckFramebufferStatus(GL_FRAMEBUFFER);
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
  if (status != GL_FRAMEBUFFER_COMPLETE) {
    error = "offscreen framebuffer " + std::to_string(width) + "x" + std::to_string(height) +
            " is incomplete (status " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

void OffscreenTarget::bind() const {
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer_);
  glViewport(0, 0, width_, height_);
}

void OffscreenTarget::unbind() {
  glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

bool write_framebuffer_png(int width, int height, const std::string& path, std::string& error) {
  if (width <= 0 || height <= 0) {
    error = "cannot write an empty screenshot";
    return false;
  }
  const size_t row = static_cast<size_t>(width) * 4;
  std::vector<unsigned char> pixels(row * static_cast<size_t>(height));
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  if (glGetError() != GL_NO_ERROR) {
    error = "glReadPixels failed";
    return false;
  }
  // OpenGL's rows start at the bottom; PNG's at the top. The window is opaque.
  std::vector<unsigned char> flipped(pixels.size());
  for (int y = 0; y < height; ++y) {
    std::memcpy(&flipped[static_cast<size_t>(height - 1 - y) * row],
                &pixels[static_cast<size_t>(y) * row], row);
  }
  for (size_t i = 3; i < flipped.size(); i += 4) flipped[i] = 255;
  if (stbi_write_png(path.c_str(), width, height, 4, flipped.data(), static_cast<int>(row)) == 0) {
    error = "cannot write " + path;
    return false;
  }
  return true;
}

}  // namespace twin::viewer
