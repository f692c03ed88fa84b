#include "system/common/perm_name.h"

namespace rmqsim::common {

std::string PermToString(int32_t perm) {
  std::string s = "---";
  if (IsReadable(perm)) s[0] = 'R';
  if (IsWriteable(perm)) s[1] = 'W';
  if (IsInherited(perm)) s[2] = 'X';
  return s;
}

}  // namespace rmqsim::common
