#include "viewer/headless_gl.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#define GL_GLEXT_PROTOTYPES 1
#include <GL/gl.h>
#include <GL/glext.h>

#include "viewer/screenshot.h"

namespace twin::viewer {

namespace {

std::string egl_error_text(EGLint code) {
  switch (code) {
    case EGL_NOT_INITIALIZED:
      return "EGL_NOT_INITIALIZED";
    case EGL_BAD_ACCESS:
      return "EGL_BAD_ACCESS";
    case EGL_BAD_ALLOC:
      return "EGL_BAD_ALLOC";
    case EGL_BAD_ATTRIBUTE:
      return "EGL_BAD_ATTRIBUTE";
    case EGL_BAD_CONFIG:
      return "EGL_BAD_CONFIG";
    case EGL_BAD_CONTEXT:
      return "EGL_BAD_CONTEXT";
    case EGL_BAD_DISPLAY:
      return "EGL_BAD_DISPLAY";
    case EGL_BAD_MATCH:
      return "EGL_BAD_MATCH";
    case EGL_BAD_PARAMETER:
      return "EGL_BAD_PARAMETER";
    default:
      break;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "EGL error 0x%04x", static_cast<unsigned>(code));
  return buf;
}

// True when the space-separated extension list `list` holds `name` (a whole word).
bool has_extension(const char* list, const char* name) {
  if (list == nullptr) return false;
  const size_t n = std::strlen(name);
  for (const char* p = list; (p = std::strstr(p, name)) != nullptr; p += n) {
    const bool starts = p == list || p[-1] == ' ';
    const bool ends = p[n] == '\0' || p[n] == ' ';
    if (starts && ends) return true;
  }
  return false;
}

// Initializes `display` and makes a 3.3 core context current on it with no surface. On failure
// the display is terminated and `why` says what went wrong.
EGLContext make_context(EGLDisplay display, std::string& why) {
  EGLint major = 0, minor = 0;
  if (display == EGL_NO_DISPLAY) {
    why = "no display";
    return EGL_NO_CONTEXT;
  }
  if (eglInitialize(display, &major, &minor) == EGL_FALSE) {
    why = "eglInitialize: " + egl_error_text(eglGetError());
    return EGL_NO_CONTEXT;
  }
  auto fail = [&](std::string text) {
    why = std::move(text);
    eglTerminate(display);
    return EGL_NO_CONTEXT;
  };
  const char* extensions = eglQueryString(display, EGL_EXTENSIONS);
  // Both are EGL 1.5 core; Mesa 22 has them as extensions of EGL 1.4 displays too.
  if (!has_extension(extensions, "EGL_KHR_surfaceless_context"))
    return fail("no EGL_KHR_surfaceless_context");
  if ((major < 1 || (major == 1 && minor < 5)) &&
      !has_extension(extensions, "EGL_KHR_create_context"))
    return fail("no EGL_KHR_create_context (needed for a core profile)");
  if (eglBindAPI(EGL_OPENGL_API) == EGL_FALSE)
    return fail("eglBindAPI(EGL_OPENGL_API): " + egl_error_text(eglGetError()));

  // Any surface type: nothing is drawn to an EGL surface (eglChooseConfig's default would ask
  // for window surfaces, which the surfaceless platform has not).
  const EGLint config_attribs[] = {EGL_RENDERABLE_TYPE,
                                   EGL_OPENGL_BIT,
                                   EGL_SURFACE_TYPE,
                                   0,
                                   EGL_RED_SIZE,
                                   8,
                                   EGL_GREEN_SIZE,
                                   8,
                                   EGL_BLUE_SIZE,
                                   8,
                                   EGL_NONE};
  EGLConfig config = EGL_NO_CONFIG_KHR;
  EGLint configs = 0;
  if (eglChooseConfig(display, config_attribs, &config, 1, &configs) == EGL_FALSE || configs < 1) {
    if (!has_extension(extensions, "EGL_KHR_no_config_context"))
      return fail("no EGL config for desktop OpenGL");
    config = EGL_NO_CONFIG_KHR;
  }
  const EGLint context_attribs[] = {EGL_CONTEXT_MAJOR_VERSION,
                                    3,
                                    EGL_CONTEXT_MINOR_VERSION,
                                    3,
                                    EGL_CONTEXT_OPENGL_PROFILE_MASK,
                                    EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
                                    EGL_NONE};
  EGLContext context = eglCreateContext(display, config, EGL_NO_CONTEXT, context_attribs);
  if (context == EGL_NO_CONTEXT)
    return fail("no OpenGL 3.3 core context: " + egl_error_text(eglGetError()));
  if (eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context) == EGL_FALSE) {
    const EGLint code = eglGetError();
    eglDestroyContext(display, context);
    return fail("eglMakeCurrent: " + egl_error_text(code));
  }
  GLint gl_major = 0, gl_minor = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &gl_major);
  glGetIntegerv(GL_MINOR_VERSION, &gl_minor);
  if (gl_major * 10 + gl_minor < 33) {
    eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(display, context);
    return fail("OpenGL " + std::to_string(gl_major) + "." + std::to_string(gl_minor) +
                " is older than 3.3");
  }
  return context;
}

}  // namespace

HeadlessGlContext::~HeadlessGlContext() {
  if (context_ == nullptr) return;
  eglMakeCurrent(display_, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
  eglDestroyContext(display_, context_);
  eglTerminate(display_);
  eglReleaseThread();
}

bool HeadlessGlContext::create(std::string& error) {
  if (context_ != nullptr) return true;
  // Client extensions (EGL_NO_DISPLAY): which platforms this libEGL offers.
  const char* client = eglQueryString(EGL_NO_DISPLAY, EGL_EXTENSIONS);
  auto get_platform_display = reinterpret_cast<PFNEGLGETPLATFORMDISPLAYEXTPROC>(
      eglGetProcAddress("eglGetPlatformDisplayEXT"));
  const bool platforms =
      get_platform_display != nullptr && has_extension(client, "EGL_EXT_platform_base");

  struct Candidate {
    std::string name;
    EGLDisplay display;
  };
  std::vector<Candidate> candidates;
  if (platforms && has_extension(client, "EGL_MESA_platform_surfaceless")) {
    candidates.push_back({"surfaceless", get_platform_display(EGL_PLATFORM_SURFACELESS_MESA,
                                                              EGL_DEFAULT_DISPLAY, nullptr)});
  }
  auto query_devices =
      reinterpret_cast<PFNEGLQUERYDEVICESEXTPROC>(eglGetProcAddress("eglQueryDevicesEXT"));
  if (platforms && query_devices != nullptr && has_extension(client, "EGL_EXT_platform_device")) {
    EGLDeviceEXT devices[4];
    EGLint count = 0;
    if (query_devices(4, devices, &count) == EGL_TRUE) {
      for (EGLint i = 0; i < count; ++i) {
        candidates.push_back({"device " + std::to_string(i),
                              get_platform_display(EGL_PLATFORM_DEVICE_EXT, devices[i], nullptr)});
      }
    }
  }
  candidates.push_back({"default", eglGetDisplay(EGL_DEFAULT_DISPLAY)});

  error = "no OpenGL 3.3 core context from EGL:";
  for (const Candidate& c : candidates) {
    std::string why;
    EGLContext context = make_context(c.display, why);
    if (context != EGL_NO_CONTEXT) {
      display_ = c.display;
      context_ = context;
      platform_ = c.name;
      error.clear();
      return true;
    }
    error.append(" ").append(c.name).append(" display: ").append(why).append(";");
  }
  error.pop_back();
  return false;
}

HeadlessImGui::~HeadlessImGui() {
  if (!imgui_) return;
  ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext();
}

bool HeadlessImGui::create(std::string& error) {
  if (imgui_) return true;
  if (!gl_.create(error)) return false;
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // nothing to remember between runs
  // The backend's GL loader (gl3w) resolves through libGL's glXGetProcAddress, whose GLVND
  // dispatch stubs call into whichever context is current, EGL's included.
  if (!ImGui_ImplOpenGL3_Init("#version 330")) {
    ImGui::DestroyContext();
    error = "ImGui's OpenGL3 backend failed to initialize";
    return false;
  }
  imgui_ = true;
  return true;
}

bool render_imgui_png(const HeadlessFrameOptions& options, const std::function<void()>& draw,
                      const std::string& png_path, std::string& error) {
  OffscreenTarget target;
  if (!target.create(options.width, options.height, error)) return false;
  ImGuiIO& io = ImGui::GetIO();
  for (int frame = 0; frame < std::max(1, options.frames); ++frame) {
    io.DisplaySize = ImVec2(static_cast<float>(options.width), static_cast<float>(options.height));
    io.DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
    io.DeltaTime = options.delta_time_s;
    ImGui_ImplOpenGL3_NewFrame();  // builds the font atlas texture on the first frame
    ImGui::NewFrame();
    if (draw) draw();
    ImGui::Render();
    target.bind();
    glClearColor(options.clear_r, options.clear_g, options.clear_b, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  }
  glFinish();
  const bool ok = write_framebuffer_png(options.width, options.height, png_path, error);
  OffscreenTarget::unbind();
  return ok;
}

}  // namespace twin::viewer
