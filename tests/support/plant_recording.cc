#include "tests/support/plant_recording.h"

#include <gtest/gtest.h>

#include "replay/telemetry_writer.h"

namespace twin::test {

PlantReport record_plant_shift(const Model& model, const PlantOptions& options,
                               const std::string& path) {
  TelemetryWriter writer;
  EXPECT_TRUE(writer.open(path)) << writer.error();
  PlantReport report = run_plant(model, options, writer);
  EXPECT_TRUE(writer.close()) << writer.error();
  EXPECT_FALSE(report.write_failed) << path;
  return report;
}

}  // namespace twin::test
