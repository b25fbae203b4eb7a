// SPDX-License-Identifier: GPL-2.0
#include "sim/router/mock_nic.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

namespace flmock {

namespace {

uint16_t get16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void put16(uint8_t *p, uint16_t v)
{
	p[0] = static_cast<uint8_t>(v >> 8);
	p[1] = static_cast<uint8_t>(v);
}
uint32_t get32(const uint8_t *p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }
void put32(uint8_t *p, uint32_t v)
{
	put16(p, static_cast<uint16_t>(v >> 16));
	put16(p + 2, static_cast<uint16_t>(v));
}

// ------------------------------------------------------------------ parser

struct Tag {
	uint16_t tpid; // 0x8100, 0x88a8 or 0x8864 (PPPoE)
	uint16_t id;
};

// The NIC's view of a frame: the tags in front of the IP packet and where the
// headers start.
struct Layout {
	std::vector<Tag> tags;
	size_t l3 = 0, l4 = 0, end = 0;
	int ipver = 0;
	uint8_t proto = 0;
};

bool parse(const Bytes &f, Layout &lay)
{
	if (f.size() < 14)
		return false;
	size_t off = 12;
	uint16_t type = get16(&f[off]);
	while (type == 0x8100 || type == 0x88a8 || type == 0x8864) {
		if (f.size() < off + 4 + (type == 0x8864 ? 6 : 0))
			return false;
		if (type == 0x8864) {
			lay.tags.push_back({type, get16(&f[off + 4])});
			uint16_t ppp = get16(&f[off + 8]);
			type = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
			off += 8;
			break;
		}
		lay.tags.push_back({type, static_cast<uint16_t>(get16(&f[off + 2]) & 0x0fff)});
		type = get16(&f[off + 4]);
		off += 4;
	}
	lay.l3 = off + 2;
	if (type == 0x0800 && f.size() >= lay.l3 + 20) {
		lay.ipver = 4;
		lay.proto = f[lay.l3 + 9];
		lay.l4 = lay.l3 + (f[lay.l3] & 0xf) * 4u;
		lay.end = lay.l3 + get16(&f[lay.l3 + 2]);
	} else if (type == 0x86dd && f.size() >= lay.l3 + 40) {
		lay.ipver = 6;
		lay.proto = f[lay.l3 + 6];
		lay.l4 = lay.l3 + 40;
		lay.end = lay.l3 + 40 + get16(&f[lay.l3 + 4]);
	} else {
		return false;
	}
	return lay.end <= f.size() && lay.l4 + 4 <= lay.end;
}

// ------------------------------------------------------------------ match

bool masked_eq(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((a[i] ^ b[i]) & mask[i])
			return false;
	return true;
}

bool match_tags(const fl_rule_match &m, const Layout &lay)
{
	std::vector<Tag> want;
	if (m.keys & FL_MATCH_VLAN)
		want.push_back({m.vlan.tpid, m.vlan.id});
	if (m.keys & FL_MATCH_CVLAN)
		want.push_back({m.cvlan.tpid, m.cvlan.id});
	if (m.keys & FL_MATCH_PPPOE)
		want.push_back({0x8864, m.pppoe_sid});
	if (want.size() != lay.tags.size())
		return false;
	for (size_t i = 0; i < want.size(); i++)
		if (want[i].tpid != lay.tags[i].tpid || want[i].id != lay.tags[i].id)
			return false;
	return true;
}

bool match(const fl_rule_match &m, int port, const Bytes &f, const Layout &lay)
{
	if ((m.keys & FL_MATCH_INGRESS) && m.ingress_ifindex != port)
		return false;
	if (!match_tags(m, lay))
		return false;
	uint16_t n_proto = lay.ipver == 4 ? 0x0800 : 0x86dd;
	if ((m.keys & FL_MATCH_BASIC) &&
	    (((n_proto ^ m.n_proto) & m.n_proto_mask) || ((lay.proto ^ m.ip_proto) & m.ip_proto_mask)))
		return false;
	size_t alen = lay.ipver == 4 ? 4 : 16;
	size_t src = lay.l3 + (lay.ipver == 4 ? 12 : 8), dst = src + alen;
	if ((m.keys & (FL_MATCH_IPV4 | FL_MATCH_IPV6)) &&
	    (!masked_eq(&f[src], m.src.b, m.src_mask.b, alen) ||
	     !masked_eq(&f[dst], m.dst.b, m.dst_mask.b, alen)))
		return false;
	if (m.keys & FL_MATCH_PORTS) {
		uint16_t sp, dp, smask, dmask;
		std::memcpy(&sp, &f[lay.l4], 2);
		std::memcpy(&dp, &f[lay.l4 + 2], 2);
		std::memcpy(&smask, &m.sport_mask, 2);
		std::memcpy(&dmask, &m.dport_mask, 2);
		if (((sp ^ m.sport) & smask) || ((dp ^ m.dport) & dmask))
			return false;
	}
	if ((m.keys & FL_MATCH_TCP_FLAGS) &&
	    (lay.proto != 6 || ((f[lay.l4 + 13] ^ m.tcp_flags) & m.tcp_flags_mask)))
		return false;
	return true;
}

// ------------------------------------------------------------------ actions

uint32_t sum16(const uint8_t *p, size_t n, uint32_t s = 0)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += get16(p + i);
	if (n & 1)
		s += static_cast<uint32_t>(p[n - 1]) << 8;
	return s;
}

uint16_t fold_not(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return static_cast<uint16_t>(~s);
}

// The checksum engine: recompute from scratch, as hardware does.
void csum_ipv4_header(Bytes &f, const Layout &lay)
{
	size_t hl = (f[lay.l3] & 0xf) * 4u;
	put16(&f[lay.l3 + 10], 0);
	put16(&f[lay.l3 + 10], fold_not(sum16(&f[lay.l3], hl)));
}

void csum_l4(Bytes &f, const Layout &lay)
{
	size_t at = lay.l4 + (lay.proto == 6 ? 16 : 6);
	if (lay.proto == 17 && lay.ipver == 4 && get16(&f[at]) == 0)
		return; // "no checksum" stays so
	size_t alen = lay.ipver == 4 ? 4 : 16;
	size_t src = lay.l3 + (lay.ipver == 4 ? 12 : 8);
	size_t len = lay.end - lay.l4;
	uint32_t s = sum16(&f[src], 2 * alen) + lay.proto + static_cast<uint32_t>(len);
	put16(&f[at], 0);
	uint16_t c = fold_not(sum16(&f[lay.l4], len, s));
	put16(&f[at], lay.proto == 17 && c == 0 ? 0xffff : c);
}

size_t mangle_base(uint8_t htype, const Layout &lay)
{
	switch (htype) {
	case FL_HDR_ETH:
		return 0;
	case FL_HDR_IPV4:
	case FL_HDR_IPV6:
		return lay.l3;
	default:
		return lay.l4;
	}
}

// What one execution of a rule carries from action to action.
struct Exec {
	int egress = 0;
	size_t push_at = 12;  // where the next push of a run of pushes goes
	bool rewrote_l3l4 = false;
};

bool push_vlan(Bytes &f, const fl_action &a, Exec &x)
{
	uint8_t tag[4];
	put16(tag, a.vlan.proto);
	put16(tag + 2, a.vlan.id & 0x0fff);
	f.insert(f.begin() + static_cast<long>(x.push_at), tag, tag + 4);
	x.push_at += 4;
	return true;
}

bool push_pppoe(Bytes &f, const fl_action &a, const Layout &lay, Exec &x)
{
	// The payload behind the new header is what follows the pushes so far.
	uint16_t inner = get16(&f[x.push_at]);
	if (inner != 0x0800 && inner != 0x86dd)
		return false; // PPPoE carries IP only
	uint8_t hdr[8] = {0x88, 0x64, 0x11, 0};
	put16(hdr + 4, a.pppoe.sid);
	put16(hdr + 6, static_cast<uint16_t>(lay.end - lay.l3 + 2));
	f.insert(f.begin() + static_cast<long>(x.push_at), hdr, hdr + 8);
	put16(&f[x.push_at + 8], inner == 0x0800 ? 0x0021 : 0x0057);
	x.push_at += 8;
	return true;
}

bool apply(const fl_action &a, Bytes &f, Exec &x)
{
	Layout lay;
	if (!parse(f, lay))
		return false;
	if (a.id != FL_ACT_VLAN_PUSH && a.id != FL_ACT_PPPOE_PUSH)
		x.push_at = 12; // a run of pushes nests; anything else ends it
	switch (a.id) {
	case FL_ACT_MANGLE: {
		size_t at = mangle_base(a.htype, lay) + a.mangle.offset;
		if (at + 4 > f.size())
			return false;
		put32(&f[at], (get32(&f[at]) & a.mangle.mask) | a.mangle.val);
		x.rewrote_l3l4 |= a.htype != FL_HDR_ETH;
		return true;
	}
	case FL_ACT_CSUM:
		if ((a.csum_flags & FL_CSUM_IPV4HDR) && lay.ipver == 4)
			csum_ipv4_header(f, lay);
		if (a.csum_flags & (FL_CSUM_TCP | FL_CSUM_UDP))
			csum_l4(f, lay);
		return true;
	case FL_ACT_VLAN_POP:
		if (lay.tags.empty() || lay.tags[0].tpid == 0x8864)
			return false;
		f.erase(f.begin() + 12, f.begin() + 16);
		return true;
	case FL_ACT_VLAN_PUSH:
		return push_vlan(f, a, x);
	case FL_ACT_PPPOE_PUSH:
		return push_pppoe(f, a, lay, x);
	case FL_ACT_REDIRECT:
		x.egress = a.redirect.ifindex;
		return true;
	default:
		return false; // tunnels: this NIC refuses such rules at REPLACE
	}
}

// What the hardware does without being asked: the TTL (hop limit) decrement
// with the IPv4 header checksum, and the L4 checksum of a rewritten IPv6
// packet (Linux asks for checksums only for IPv4 with NAT).
bool finish(Bytes &f, const Exec &x)
{
	Layout lay;
	if (!parse(f, lay))
		return false;
	if (lay.ipver == 4) {
		f[lay.l3 + 8]--;
		csum_ipv4_header(f, lay);
	} else {
		f[lay.l3 + 7]--;
		if (x.rewrote_l3l4)
			csum_l4(f, lay);
	}
	return true;
}

// This NIC speaks Linux 6.1's rules: no tunnels here, and nothing Linux
// has no form for (a TTL action, PPPoE matching and popping).
bool supported(const fl_rule &r)
{
	for (uint32_t i = 0; i < r.num_actions; i++) {
		uint8_t id = r.actions[i].id;
		if (id == FL_ACT_TUNNEL_ENCAP || id == FL_ACT_TUNNEL_DECAP || id == FL_ACT_DEC_TTL ||
		    id == FL_ACT_PPPOE_POP)
			return false;
	}
	return !(r.match.keys & (FL_MATCH_TUNNEL | FL_MATCH_PPPOE));
}

} // namespace

std::optional<Emitted> execute(const struct fl_rule &rule, int port, const Bytes &frame)
{
	Layout lay;
	if (!parse(frame, lay) || !match(rule.match, port, frame, lay))
		return std::nullopt;
	Emitted out{0, frame, rule.cookie};
	// Trailing bytes beyond the IP packet (Ethernet padding) are not sent on.
	out.frame.resize(lay.end);
	Exec x;
	for (uint32_t i = 0; i < rule.num_actions; i++)
		if (!apply(rule.actions[i], out.frame, x))
			return std::nullopt;
	if (!x.egress || !finish(out.frame, x))
		return std::nullopt;
	out.ifindex = x.egress;
	return out;
}

// ------------------------------------------------------------------ device

MockNic::MockNic(std::string name, std::set<int> ports) : name_(std::move(name)), ports_(std::move(ports))
{
}

int MockNic::setup(void *dev_priv, enum fl_setup_type type, void *type_data)
{
	auto *nic = static_cast<MockNic *>(dev_priv);
	if (type != FL_SETUP_FT) {
		std::lock_guard<std::mutex> lock(nic->mu_);
		nic->wrong_types_++;
		return -EOPNOTSUPP;
	}
	return nic->bind(*static_cast<struct fl_block_bind *>(type_data));
}

int MockNic::bind(struct fl_block_bind &b)
{
	std::lock_guard<std::mutex> lock(mu_);
	if (!ports_.count(b.ifindex))
		return -ENODEV;
	if (b.command == FL_BLOCK_UNBIND) {
		bound_.erase(b.ifindex);
		// Rules still installed now were never destroyed: stale entries.
		for (auto it = rules_.begin(); it != rules_.end();) {
			bool stale = it->second.port == b.ifindex;
			stale_at_unbind_ += stale;
			it = stale ? rules_.erase(it) : std::next(it);
		}
		return 0;
	}
	bound_.insert(b.ifindex);
	b.cb = block_cb;
	b.cb_priv = this;
	return 0;
}

int MockNic::block_cb(enum fl_setup_type type, void *type_data, void *cb_priv)
{
	auto *nic = static_cast<MockNic *>(cb_priv);
	if (type != FL_SETUP_CLSFLOWER) {
		std::lock_guard<std::mutex> lock(nic->mu_);
		nic->wrong_types_++;
		return -EOPNOTSUPP;
	}
	nic->delay();
	return nic->command(*static_cast<struct fl_rule_request *>(type_data));
}

void MockNic::delay() const
{
	unsigned us;
	{
		std::lock_guard<std::mutex> lock(mu_);
		us = delay_us_;
	}
	if (us)
		std::this_thread::sleep_for(std::chrono::microseconds(us));
}

int MockNic::replace(const struct fl_rule &rule)
{
	// Every callback sees every rule: only those arriving on our ports are ours.
	int port = rule.match.ingress_ifindex;
	if (!(rule.match.keys & FL_MATCH_INGRESS) || !bound_.count(port))
		return -EOPNOTSUPP;
	replaces_++;
	if (rules_.count(rule.cookie))
		duplicates_++;
	if (refuse_ || !supported(rule)) {
		refused_++;
		return -EOPNOTSUPP;
	}
	if (fail_at_ && ++adds_seen_ == fail_at_) {
		fail_at_ = 0;
		refused_++;
		return -EIO;
	}
	if (capacity_ && rules_.size() >= capacity_ && !rules_.count(rule.cookie)) {
		refused_++;
		return -ENOSPC;
	}
	Rule r;
	r.rule = rule;
	r.port = port;
	rules_[rule.cookie] = r;
	return 0;
}

int MockNic::command(struct fl_rule_request &req)
{
	std::lock_guard<std::mutex> lock(mu_);
	switch (req.cmd) {
	case FL_RULE_REPLACE:
		return req.rule ? replace(*req.rule) : -EINVAL;
	case FL_RULE_DESTROY:
		if (!rules_.erase(req.cookie))
			return -ENOENT; // another callback's rule
		destroys_++;
		return 0;
	case FL_RULE_STATS: {
		auto it = rules_.find(req.cookie);
		if (it == rules_.end())
			return -ENOENT;
		// Added into the request: another callback may hold the rule too.
		Rule &r = it->second;
		if (!lastused_only_) {
			req.stats.packets += r.packets - r.reported_packets;
			req.stats.bytes += r.bytes - r.reported_bytes;
			r.reported_packets = r.packets;
			r.reported_bytes = r.bytes;
		}
		if (r.used && (!req.stats.used || static_cast<int32_t>(r.lastused - req.stats.lastused) > 0)) {
			req.stats.lastused = r.lastused;
			req.stats.used = true;
		}
		return 0;
	}
	default:
		return -EOPNOTSUPP;
	}
}

std::optional<Emitted> MockNic::receive(int port, const Bytes &frame, uint32_t now_ticks)
{
	std::lock_guard<std::mutex> lock(mu_);
	if (!bound_.count(port))
		return std::nullopt;
	for (auto &[cookie, r] : rules_) {
		if (r.port != port)
			continue;
		std::optional<Emitted> out = execute(r.rule, port, frame);
		if (!out)
			continue;
		Layout lay;
		parse(frame, lay);
		r.packets++;
		r.bytes += lay.end - lay.l3;
		r.lastused = now_ticks;
		r.used = true;
		return out;
	}
	return std::nullopt;
}

void MockNic::fail_nth_add(unsigned n)
{
	std::lock_guard<std::mutex> lock(mu_);
	fail_at_ = n;
	adds_seen_ = 0;
}

void MockNic::refuse_all(bool on)
{
	std::lock_guard<std::mutex> lock(mu_);
	refuse_ = on;
}

void MockNic::set_capacity(size_t rules)
{
	std::lock_guard<std::mutex> lock(mu_);
	capacity_ = rules;
}

void MockNic::set_lastused_only(bool on)
{
	std::lock_guard<std::mutex> lock(mu_);
	lastused_only_ = on;
}

void MockNic::set_delay_us(unsigned us)
{
	std::lock_guard<std::mutex> lock(mu_);
	delay_us_ = us;
}

std::vector<MockNic::Rule> MockNic::rules() const
{
	std::lock_guard<std::mutex> lock(mu_);
	std::vector<Rule> v;
	for (auto &[c, r] : rules_)
		v.push_back(r);
	return v;
}

std::vector<MockNic::Rule> MockNic::rules_on(int port) const
{
	std::vector<Rule> v;
	for (const Rule &r : rules())
		if (r.port == port)
			v.push_back(r);
	return v;
}

std::optional<MockNic::Rule> MockNic::rule(uint64_t cookie) const
{
	std::lock_guard<std::mutex> lock(mu_);
	auto it = rules_.find(cookie);
	return it == rules_.end() ? std::nullopt : std::optional<Rule>(it->second);
}

size_t MockNic::rule_count() const
{
	std::lock_guard<std::mutex> lock(mu_);
	return rules_.size();
}

bool MockNic::bound(int port) const
{
	std::lock_guard<std::mutex> lock(mu_);
	return bound_.count(port) != 0;
}

} // namespace flmock
