// SPDX-License-Identifier: GPL-2.0
#include "sim/net/netns_import.h"

#include <fcntl.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace flsim {

namespace {

Diag error(const std::string &name, const std::string &msg)
{
	return Diag{{"netns:" + name, 0, 0}, msg};
}

// Enter a namespace for the lifetime of the object; always come back.
class NetnsGuard {
public:
	explicit NetnsGuard(const std::string &name)
	{
		self_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		for (const char *dir : {"/run/netns/", "/var/run/netns/"}) {
			target_ = open((dir + name).c_str(), O_RDONLY | O_CLOEXEC);
			if (target_ >= 0)
				break;
		}
		if (self_ >= 0 && target_ >= 0)
			entered_ = setns(target_, CLONE_NEWNET) == 0;
		err_ = errno;
	}
	~NetnsGuard()
	{
		if (entered_ && setns(self_, CLONE_NEWNET) != 0)
			std::abort(); // never leave a thread in the wrong namespace
		if (self_ >= 0)
			close(self_);
		if (target_ >= 0)
			close(target_);
	}
	NetnsGuard(const NetnsGuard &) = delete;
	NetnsGuard &operator=(const NetnsGuard &) = delete;
	bool ok() const { return entered_; }
	std::string why() const
	{
		if (target_ < 0)
			return "no such network namespace (see `ip netns list`)";
		return std::string("cannot enter the namespace: ") + std::strerror(err_);
	}

private:
	int self_ = -1, target_ = -1, err_ = 0;
	bool entered_ = false;
};

struct SockDeleter {
	void operator()(nl_sock *s) const { nl_socket_free(s); }
};
struct CacheDeleter {
	void operator()(nl_cache *c) const { nl_cache_free(c); }
};
using Sock = std::unique_ptr<nl_sock, SockDeleter>;
using Cache = std::unique_ptr<nl_cache, CacheDeleter>;

bool to_ip(nl_addr *a, IpAddr &out)
{
	if (!a)
		return false;
	int fam = nl_addr_get_family(a);
	size_t len = nl_addr_get_len(a);
	if ((fam == AF_INET && len == 4) || (fam == AF_INET6 && len == 16)) {
		out = IpAddr{};
		out.ipver = fam == AF_INET ? 4 : 6;
		std::memcpy(out.b, nl_addr_get_binary_addr(a), len);
		return true;
	}
	return false;
}

bool to_mac(nl_addr *a, MacAddr &out)
{
	if (!a || nl_addr_get_len(a) != 6)
		return false;
	std::memcpy(out.data(), nl_addr_get_binary_addr(a), 6);
	return true;
}

std::string name_of(nl_cache *links, int ifindex)
{
	char buf[IFNAMSIZ] = {};
	return rtnl_link_i2name(links, ifindex, buf, sizeof(buf)) ? buf : "";
}

void import_links(nl_cache *links, Topology &t)
{
	for (nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
		auto *l = reinterpret_cast<rtnl_link *>(o);
		if (rtnl_link_get_flags(l) & IFF_LOOPBACK)
			continue;
		Link k;
		k.name = rtnl_link_get_name(l);
		k.ifindex = rtnl_link_get_ifindex(l);
		const char *type = rtnl_link_get_type(l);
		k.kind = type ? type : "ether";
		k.mtu = static_cast<int>(rtnl_link_get_mtu(l));
		k.up = rtnl_link_get_flags(l) & IFF_UP;
		if (!to_mac(rtnl_link_get_addr(l), k.mac))
			k.mac = default_mac(k.ifindex);
		if (int master = rtnl_link_get_master(l))
			k.master = name_of(links, master);
		if (rtnl_link_is_vlan(l)) {
			k.kind = "vlan";
			k.vlan_id = static_cast<uint16_t>(rtnl_link_vlan_get_id(l));
			k.vlan_proto = static_cast<uint16_t>(ntohs(static_cast<uint16_t>(rtnl_link_vlan_get_protocol(l))));
			if (k.vlan_proto != 0x88a8)
				k.vlan_proto = 0x8100;
			k.parent = name_of(links, rtnl_link_get_link(l));
		}
		t.links.push_back(k);
	}
}

void import_addrs(nl_cache *addrs, nl_cache *links, Topology &t)
{
	for (nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		auto *a = reinterpret_cast<rtnl_addr *>(o);
		Address x;
		x.dev = name_of(links, rtnl_addr_get_ifindex(a));
		if (x.dev.empty() || !t.link(x.dev) || !to_ip(rtnl_addr_get_local(a), x.addr))
			continue;
		x.plen = rtnl_addr_get_prefixlen(a);
		t.addrs.push_back(x);
	}
}

void import_routes(nl_cache *routes, nl_cache *links, Topology &t)
{
	for (nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		auto *r = reinterpret_cast<rtnl_route *>(o);
		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST)
			continue;
		Route x;
		nl_addr *dst = rtnl_route_get_dst(r);
		x.plen = dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0;
		if (!to_ip(dst, x.dst)) {
			x.dst = IpAddr{};
			x.dst.ipver = rtnl_route_get_family(r) == AF_INET6 ? 6 : 4;
		}
		rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
		if (nh) {
			x.has_via = to_ip(rtnl_route_nh_get_gateway(nh), x.via);
			x.dev = name_of(links, rtnl_route_nh_get_ifindex(nh));
		}
		if (!x.dev.empty() && !t.link(x.dev))
			continue; // through lo or a device we do not model
		if ((x.dst.ipver == 6 && x.dst.b[0] == 0xfe && (x.dst.b[1] & 0xc0) == 0x80) ||
		    (x.dst.ipver == 6 && x.dst.b[0] == 0xff))
			continue; // link-local and multicast routes
		t.routes.push_back(x);
	}
}

void import_neighs(nl_cache *neighs, nl_cache *links, Topology &t)
{
	for (nl_object *o = nl_cache_get_first(neighs); o; o = nl_cache_get_next(o)) {
		auto *n = reinterpret_cast<rtnl_neigh *>(o);
		int state = rtnl_neigh_get_state(n);
		if (!(state & (NUD_PERMANENT | NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_NOARP)))
			continue;
		Neighbor x;
		x.dev = name_of(links, rtnl_neigh_get_ifindex(n));
		if (x.dev.empty() || !t.link(x.dev) || !to_ip(rtnl_neigh_get_dst(n), x.addr) ||
		    !to_mac(rtnl_neigh_get_lladdr(n), x.mac))
			continue;
		t.neighs.push_back(x);
	}
}

} // namespace

Parsed<Topology> import_netns(const std::string &name)
{
	if (name.empty() || name.find('/') != std::string::npos)
		return error(name, "bad namespace name");
	NetnsGuard ns(name);
	if (!ns.ok())
		return error(name, ns.why());
	Sock sock(nl_socket_alloc());
	if (!sock || nl_connect(sock.get(), NETLINK_ROUTE) < 0)
		return error(name, "cannot open a netlink socket");
	nl_cache *raw = nullptr;
	if (rtnl_link_alloc_cache(sock.get(), AF_UNSPEC, &raw) < 0)
		return error(name, "cannot read links");
	Cache links(raw);
	if (rtnl_addr_alloc_cache(sock.get(), &raw) < 0)
		return error(name, "cannot read addresses");
	Cache addrs(raw);
	if (rtnl_route_alloc_cache(sock.get(), AF_UNSPEC, 0, &raw) < 0)
		return error(name, "cannot read routes");
	Cache routes(raw);
	if (rtnl_neigh_alloc_cache(sock.get(), &raw) < 0)
		return error(name, "cannot read neighbours");
	Cache neighs(raw);
	Topology t;
	import_links(links.get(), t);
	import_addrs(addrs.get(), links.get(), t);
	import_routes(routes.get(), links.get(), t);
	import_neighs(neighs.get(), links.get(), t);
	return t;
}

} // namespace flsim
