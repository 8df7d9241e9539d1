// Colours of the viewer: one per machine Mode, and the palette of the plan. Plain RGBA bytes so
// tests can check screenshots without ImGui; the viewer turns them into ImU32 with to_imu32().
#pragma once

#include <cstdint>

#include "models/process/kpi.h"

namespace twin::viewer {

struct Rgba {
  uint8_t r = 0, g = 0, b = 0, a = 255;
};

// Machine fill colour per Mode (busy green, starved yellow, blocked orange, down red, setup blue,
// off grey). Saturated enough to read at a glance on the dark plan background.
constexpr Rgba mode_color(Mode mode) {
  switch (mode) {
    case Mode::kBusy:
      return {46, 160, 67, 255};
    case Mode::kStarved:
      return {230, 194, 41, 255};
    case Mode::kBlocked:
      return {240, 128, 24, 255};
    case Mode::kDown:
      return {220, 38, 38, 255};
    case Mode::kSetup:
      return {45, 115, 225, 255};
    case Mode::kOff:
      return {120, 124, 130, 255};
  }
  return {255, 0, 255, 255};
}

// Text drawn on a machine of this mode: dark on the light fills, white on the others.
constexpr Rgba mode_text_color(Mode mode) {
  return mode == Mode::kStarved || mode == Mode::kBlocked ? Rgba{20, 20, 20, 255}
                                                          : Rgba{255, 255, 255, 255};
}

// Plan palette.
inline constexpr Rgba kPlanBackground{24, 28, 34, 255};
inline constexpr Rgba kUnknownMode{70, 76, 86, 255};  // a real machine with no mode known yet
inline constexpr Rgba kGridMinor{36, 41, 49, 255};
inline constexpr Rgba kGridMajor{50, 57, 67, 255};
inline constexpr Rgba kStationFrame{150, 160, 175, 255};
inline constexpr Rgba kStationLabel{230, 234, 240, 255};
inline constexpr Rgba kNodeLabel{175, 183, 195, 255};
inline constexpr Rgba kNodeBody{52, 60, 72, 255};
inline constexpr Rgba kNodeOutline{110, 122, 138, 255};
inline constexpr Rgba kNodeFill{95, 170, 235, 255};      // fill level of buffers and conveyors
inline constexpr Rgba kNodeFillFull{235, 120, 95, 255};  // fill level at capacity
inline constexpr Rgba kFlowArrow{140, 150, 165, 255};
inline constexpr Rgba kReworkArrow{190, 120, 220, 255};
inline constexpr Rgba kBottleneck{255, 70, 200, 255};  // outline and tag of the bottleneck
inline constexpr Rgba kSourceBody{60, 90, 80, 255};
inline constexpr Rgba kSinkBody{70, 70, 100, 255};

// Tag plots.
inline constexpr Rgba kSeriesMeasured{235, 238, 245, 255};  // real samples
inline constexpr Rgba kSeriesEstimate{95, 170, 235, 255};   // the twin's estimate
inline constexpr Rgba kSeriesBand{95, 170, 235, 60};        // estimate +- 2 sd
inline constexpr Rgba kAlarmRaised{255, 90, 90, 255};
inline constexpr Rgba kAlarmCleared{120, 200, 120, 200};

// The forecast from "now" and the twin's condition monitor.
inline constexpr Rgba kRealOutput{235, 238, 245, 255};         // good parts so far (real)
inline constexpr Rgba kForecastMedian{185, 150, 255, 255};     // forecast median
inline constexpr Rgba kForecastFan{185, 150, 255, 70};         // its 90 % band (5 % .. 95 %)
inline constexpr Rgba kForecastEnd{185, 150, 255, 200};        // the 90 % interval at the end
inline constexpr Rgba kForecastCalibrated{185, 150, 255, 32};  // the calibrated 90 % band
// The twin's own alarms: diamonds on the twin's strip row (the plant's are triangles).
inline constexpr Rgba kTwinAlarmWarning{255, 176, 32, 255};
inline constexpr Rgba kTwinAlarmCritical{255, 64, 160, 255};
inline constexpr Rgba kTwinAlarmCleared{150, 210, 150, 220};
inline constexpr Rgba kRulMedian{255, 176, 32, 255};  // remaining useful life
inline constexpr Rgba kRulBand{255, 176, 32, 60};     // its 5 % .. 95 % band

}  // namespace twin::viewer
