// A TCP proxy on loopback that a test controls: every replication link in
// the federation tests goes through one, so a test can cut a link
// (a partition) and heal it. Ports are chosen at run time.
//
//   TcpProxy proxy;                 // listens on 127.0.0.1:<free port>
//   proxy.SetTarget("127.0.0.1:7402");
//   proxy.Block();                  // drops open connections, refuses new
//   proxy.Unblock();
//   proxy.Freeze();                 // open connections stay up, silent
//
// Its sockets are close-on-exec: a node the test starts does not inherit
// them, which would keep a connection open after the proxy closed it.
#ifndef LMX_TESTS_SUPPORT_TCP_PROXY_H_
#define LMX_TESTS_SUPPORT_TCP_PROXY_H_

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace lmx::testing {

class TcpProxy {
 public:
  TcpProxy();
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // "127.0.0.1:PORT" to give to the node that connects.
  std::string address() const;
  // Where connections go; until set, they are closed at once.
  void SetTarget(const std::string& address);
  void Block();
  // Unblocks, and thaws frozen connections.
  void Unblock();
  // Open connections stay established but carry nothing either way, as
  // when the far host freezes or a NAT forgets the flow: neither end hears
  // a close. New connections are refused. Block() or Unblock() ends it.
  void Freeze();

 private:
  void AcceptLoop();
  void Pump(int client, int server);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string target_;
  bool blocked_ = false;
  std::atomic<bool> frozen_{false};
  std::set<int> open_;  // sockets of live connections
  std::thread acceptor_;
  std::vector<std::thread> pumps_;
};

}  // namespace lmx::testing

#endif  // LMX_TESTS_SUPPORT_TCP_PROXY_H_
