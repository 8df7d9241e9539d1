// Sparkplug B topic parsing and formatting.
#include "core/live/sparkplug_topic.h"

#include <gtest/gtest.h>

#include <string>

namespace twin {
namespace {

TEST(SparkplugTopic, ParsesNodeTopics) {
  SparkplugTopic t;
  ASSERT_TRUE(parse_sparkplug_topic("spBv1.0/plant1/NBIRTH/edge7", t));
  EXPECT_EQ(t.type, SparkplugType::kNBirth);
  EXPECT_EQ(t.group, "plant1");
  EXPECT_EQ(t.node, "edge7");
  EXPECT_TRUE(t.device.empty());
  const std::pair<const char*, SparkplugType> cases[] = {
      {"NDEATH", SparkplugType::kNDeath},
      {"NDATA", SparkplugType::kNData},
      {"NCMD", SparkplugType::kNCmd},
  };
  for (const auto& [name, type] : cases) {
    std::string topic("spBv1.0/g/");
    topic += name;
    topic += "/n";
    ASSERT_TRUE(parse_sparkplug_topic(topic, t)) << topic;
    EXPECT_EQ(t.type, type) << topic;
    EXPECT_FALSE(is_device_type(t.type));
  }
}

TEST(SparkplugTopic, ParsesDeviceTopics) {
  SparkplugTopic t;
  ASSERT_TRUE(parse_sparkplug_topic("spBv1.0/plant1/DDATA/edge7/press 2", t));
  EXPECT_EQ(t.type, SparkplugType::kDData);
  EXPECT_EQ(t.group, "plant1");
  EXPECT_EQ(t.node, "edge7");
  EXPECT_EQ(t.device, "press 2");
  for (const char* name : {"DBIRTH", "DDEATH", "DCMD"}) {
    std::string topic("spBv1.0/g/");
    topic += name;
    topic += "/n/d";
    ASSERT_TRUE(parse_sparkplug_topic(topic, t)) << topic;
    EXPECT_TRUE(is_device_type(t.type)) << topic;
    EXPECT_EQ(t.device, "d");
  }
}

TEST(SparkplugTopic, ParsesStateTopic) {
  SparkplugTopic t;
  ASSERT_TRUE(parse_sparkplug_topic("spBv1.0/STATE/twin-host", t));
  EXPECT_EQ(t.type, SparkplugType::kState);
  EXPECT_EQ(t.host_id, "twin-host");
  EXPECT_TRUE(t.group.empty());
}

TEST(SparkplugTopic, RejectsWithReason) {
  const char* bad[] = {
      "",
      "spBv1.0",
      "spBv1.0/g",
      "spAv1.0/g/NDATA/n",        // wrong namespace
      "STATE/host",               // Sparkplug 2.x host state: not 3.0
      "spBv1.0/g/NFOO/n",         // unknown message type
      "spBv1.0/g/ndata/n",        // types are case sensitive
      "spBv1.0/g/NDATA",          // missing node
      "spBv1.0/g/NDATA/n/d",      // device on a node message
      "spBv1.0/g/DDATA/n",        // device message without device
      "spBv1.0/g/DDATA/n/d/x",    // extra level
      "spBv1.0/g/DDATA/n/d/",     // trailing empty level
      "spBv1.0//NDATA/n",         // empty group
      "spBv1.0/g/NDATA/",         // empty node
      "spBv1.0/g/DDATA/n/",       // empty device
      "spBv1.0/g/NDATA/+",        // wildcard in node
      "spBv1.0/#/NDATA/n",        // wildcard in group
      "spBv1.0/g/DDATA/n/d#",     // wildcard in device
      "spBv1.0/STATE",            // missing host id
      "spBv1.0/STATE/",           // empty host id
      "spBv1.0/STATE/h/x",        // extra level
      "spBv1.0/STATE/NDATA/n",    // STATE is reserved as a group id
      "spBv1.0/g/NDATA/n/d/e/f",  // far too many levels
  };
  for (const char* topic : bad) {
    SparkplugTopic t;
    std::string error;
    EXPECT_FALSE(parse_sparkplug_topic(topic, t, &error)) << topic;
    EXPECT_FALSE(error.empty()) << topic;
  }
}

TEST(SparkplugTopic, FormatsAndRoundTrips) {
  EXPECT_EQ(format_sparkplug_topic(SparkplugType::kNCmd, "g", "n"), "spBv1.0/g/NCMD/n");
  EXPECT_EQ(format_sparkplug_topic(SparkplugType::kDCmd, "g", "n", "d"), "spBv1.0/g/DCMD/n/d");
  EXPECT_EQ(format_state_topic("twin"), "spBv1.0/STATE/twin");
  EXPECT_EQ(format_state_payload(true, 1700000000000),
            "{\"online\":true,\"timestamp\":1700000000000}");
  EXPECT_EQ(format_state_payload(false, 5), "{\"online\":false,\"timestamp\":5}");
  const std::string topic = format_sparkplug_topic(SparkplugType::kDBirth, "grp", "node", "dev");
  SparkplugTopic t;
  ASSERT_TRUE(parse_sparkplug_topic(topic, t));
  EXPECT_EQ(t.type, SparkplugType::kDBirth);
  EXPECT_EQ(t.group, "grp");
  EXPECT_EQ(t.node, "node");
  EXPECT_EQ(t.device, "dev");
  EXPECT_EQ(sparkplug_type_name(SparkplugType::kDBirth), "DBIRTH");
}

TEST(SparkplugTopic, IdsLoseWildcardsAndSeparators) {
  EXPECT_EQ(sparkplug_id("Grind#1"), "Grind_1");
  EXPECT_EQ(sparkplug_id("a+b/c"), "a_b_c");
  EXPECT_EQ(sparkplug_id("Filler"), "Filler");
  SparkplugTopic t;
  EXPECT_TRUE(parse_sparkplug_topic(
      format_sparkplug_topic(SparkplugType::kDData, "g", "n", sparkplug_id("Grind#1")), t));
}

}  // namespace
}  // namespace twin
