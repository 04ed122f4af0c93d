#include "bklit/pipeline/definition_registrar.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "bklit/appdb/sqlite_store.hpp"

namespace bklit::pipeline {
namespace {

core::Event custom(const std::string& project, const std::string& tracking_id) {
  core::Event e;
  e.type = core::EventType::kCustom;
  e.project_id = project;
  e.tracking_id = tracking_id;
  return e;
}

TEST(DefinitionRegistrar, RegistersEachTrackingIdOncePerProject) {
  auto dir =
      std::filesystem::temp_directory_path() / ("bklit-registrar-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto app = appdb::open_sqlite_store((dir / "app.db").string());
  ASSERT_TRUE(app.ok()) << app.error().message;
  for (const char* id : {"pa", "pb"}) {
    appdb::Project project;
    project.id = id;
    project.name = id;
    project.domain = "shop.example";
    (*app)->create_project(project);
  }
  DefinitionRegistrar registrar(**app);

  core::Event a1 = custom("pa", "cta-button"), a2 = custom("pa", "cta-button"),
              a3 = custom("pa", "signup"), b1 = custom("pb", "cta-button");
  core::Event pageview;
  pageview.type = core::EventType::kPageview;
  pageview.project_id = "pa";
  std::vector<store::StoredEvent> batch = {
      {&a1, 0, 1}, {&a2, 0, 2}, {&pageview, 0, 3}, {&a3, 0, 4}, {&b1, 0, 5}};
  EXPECT_EQ(registrar.observe(batch), 3U);
  EXPECT_EQ(registrar.observe(batch), 0U);  // known: nothing new

  auto pa = (*app)->list_event_definitions("pa");
  ASSERT_EQ(pa.size(), 2U);
  auto pb = (*app)->list_event_definitions("pb");
  ASSERT_EQ(pb.size(), 1U);
  EXPECT_EQ(pb[0].tracking_id, "cta-button");

  // A new registrar (another process, or after a restart) does not create duplicates.
  DefinitionRegistrar again(**app);
  EXPECT_EQ(again.observe(batch), 0U);
  EXPECT_EQ((*app)->list_event_definitions("pa").size(), 2U);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bklit::pipeline
