// A store with its HAService as one simulated process (a master or a slave), shared by the HA
// tests of the store.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>

#include "sim/runtime/service.h"
#include "system/store/default_message_store.h"
#include "system/common/byte_buffer.h"
#include "system/store/ha_service.h"

namespace rmqsim::store::testing {

class HaNode final : public Service {
 public:
  // Settings that outlive incarnations: a restart reads them again.
  struct Shared {
    MessageStoreConfig config;
    HAOptions ha;
  };
  HaNode(Runtime& rt, std::shared_ptr<Shared> shared) : rt_(rt), shared_(std::move(shared)) {}
  Status Start() override {
    store = std::make_unique<DefaultMessageStore>(rt_, shared_->config);
    RMQ_RETURN_IF_ERROR(store->Start());
    ha = std::make_unique<HAService>(rt_, *store, shared_->ha);
    return ha->Start();
  }
  void Stop(std::function<void()> done) override {
    ha->Shutdown();
    store->Shutdown([done](const Status&) { done(); });
  }
  std::unique_ptr<DefaultMessageStore> store;
  std::unique_ptr<HAService> ha;

 private:
  Runtime& rt_;
  std::shared_ptr<Shared> shared_;
};

// The commit log's bytes in [from, to) (CommitLog::ReadBytes).
inline StatusOr<common::Bytes> ReadCommitLog(DefaultMessageStore& s, int64_t from, int64_t to) {
  return s.commit_log().ReadBytes(from, to);
}

}  // namespace rmqsim::store::testing
