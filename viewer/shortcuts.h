// The viewer's keyboard shortcuts as the help overlay lists them. The key handler
// (ViewerSession::handle_keys) implements the same commands; change both together.
#pragma once

#include <cstddef>

namespace twin::viewer {

enum class Command {
  kPlayPause,      // space
  kStepForward,    // right arrow: +1 min (shift: +10 min)
  kStepBack,       // left arrow: -1 min (shift: -10 min)
  kRestart,        // home
  kSlower,         // [
  kFaster,         // ]
  kFit,            // F: fit the plan / 3D view to the line
  kToggle3d,       // 3: switch plan and 3D view
  kTogglePhysics,  // P: the physics view of a conveyor (scenes that describe one)
  kNextMachine,    // down arrow: select the next machine (its tags are plotted)
  kPrevMachine,    // up arrow: select the previous machine
  kHelp,           // H or F1: this help
};

struct Shortcut {
  Command command;
  const char* keys;         // as shown in the help
  const char* description;  // what it does
};

inline constexpr Shortcut kShortcuts[] = {
    {Command::kPlayPause, "Space", "play / pause (recordings and simulated runs)"},
    {Command::kStepForward, "Right  (Shift: x10)", "step forward 1 min"},
    {Command::kStepBack, "Left  (Shift: x10)", "step back 1 min"},
    {Command::kRestart, "Home", "back to the start"},
    {Command::kSlower, "[", "slower"},
    {Command::kFaster, "]", "faster"},
    {Command::kFit, "F", "fit the view to the line"},
    {Command::kToggle3d, "3", "plan / 3D view"},
    {Command::kTogglePhysics, "P", "physics view of a conveyor (Bullet)"},
    {Command::kNextMachine, "Down", "select the next machine"},
    {Command::kPrevMachine, "Up", "select the previous machine"},
    {Command::kHelp, "H  or  F1", "this help (Esc closes it)"},
};

inline constexpr double kStepS = 60.0;  // [s] one step of the arrow keys

}  // namespace twin::viewer
