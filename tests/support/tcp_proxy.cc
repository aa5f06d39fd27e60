#include "tests/support/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace lmx::testing {

TcpProxy::TcpProxy() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int yes = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::listen(listen_fd_, 64);
  socklen_t size = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &size);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stop_ = true;
  Block();
  acceptor_.join();
  for (auto& pump : pumps_) pump.join();
  ::close(listen_fd_);
}

std::string TcpProxy::address() const { return "127.0.0.1:" + std::to_string(port_); }

void TcpProxy::SetTarget(const std::string& address) {
  std::lock_guard<std::mutex> lock(mu_);
  target_ = address;
}

void TcpProxy::Block() {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_ = true;
  frozen_ = false;
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
}

void TcpProxy::Unblock() {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_ = false;
  frozen_ = false;
}

void TcpProxy::Freeze() {
  std::lock_guard<std::mutex> lock(mu_);
  blocked_ = true;
  frozen_ = true;
}

void TcpProxy::AcceptLoop() {
  while (!stop_) {
    pollfd ready{listen_fd_, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) continue;
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::string target;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!blocked_) target = target_;
    }
    int server = -1;
    if (!target.empty()) {
      size_t colon = target.rfind(':');
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(std::atoi(target.c_str() + colon + 1)));
      ::inet_pton(AF_INET, target.substr(0, colon).c_str(), &addr.sin_addr);
      server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(server);
        server = -1;
      }
    }
    if (server < 0) {
      ::close(client);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    open_.insert(client);
    open_.insert(server);
    pumps_.emplace_back([this, client, server] { Pump(client, server); });
  }
}

void TcpProxy::Pump(int client, int server) {
  char buffer[64 << 10];
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  bool open = true;
  while (open && !stop_) {
    if (frozen_) {
      // Nothing is read, so nothing is acknowledged beyond the sockets'
      // buffers; poll() only paces the wait.
      ::poll(nullptr, 0, 50);
      continue;
    }
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        open = false;
        break;
      }
      int to = fds[1 - i].fd;
      for (ssize_t sent = 0; sent < got;) {
        ssize_t n = ::send(to, buffer + sent, got - sent, MSG_NOSIGNAL);
        if (n <= 0) {
          open = false;
          break;
        }
        sent += n;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(client);
  open_.erase(server);
  ::close(client);
  ::close(server);
}

}  // namespace lmx::testing
