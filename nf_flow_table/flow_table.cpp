// SPDX-License-Identifier: GPL-2.0
//
// Flow lifecycle, the table of both directions, GC and statistics.
#include "nf_flow_table/flow_table.h"

namespace fl {

namespace {

constexpr u32 kDefaultTimeoutS = 30;
constexpr u32 kMaxTimeoutS = 24 * 3600 * 7;

bool xmit_valid(const struct fl_xmit &x)
{
	if (x.kind != FL_XMIT_NEIGH && x.kind != FL_XMIT_DIRECT && x.kind != FL_XMIT_XFRM)
		return false;
	return x.mtu >= 68 && x.ifindex > 0 && x.hw_ifindex >= 0;
}

// NAT is whatever makes the reply tuple differ from the mirrored original.
u32 derive_nat_flags(const Tuple &orig, const Tuple &reply)
{
	u32 flags = 0;
	if (!addr_equal(orig.src, reply.dst) || orig.src_port != reply.dst_port)
		flags |= FL_FLOW_SNAT;
	if (!addr_equal(orig.dst, reply.src) || orig.dst_port != reply.src_port)
		flags |= FL_FLOW_DNAT;
	return flags;
}

bool zero_tunnel(const struct fl_tunnel &tun)
{
	struct fl_tunnel zero = {};
	return equal_bytes(&tun, &zero, sizeof(tun));
}

bool has_tunnel(const struct fl_flow_params &p)
{
	return p.tun[FL_DIR_ORIGINAL].l3proto || p.tun[FL_DIR_REPLY].l3proto;
}

size_t flow_size(bool tunnel) { return tunnel ? sizeof(TunnelFlow) : sizeof(Flow); }

// The key of a direction that arrives in a tunnel ends in the tunnel's entry.
void append_tunnel_key(Tuple &key, const struct fl_tunnel &tun)
{
	if (!tun.l3proto)
		return;
	struct fl_encap &e = key.encap[key.encap_num++];
	e.proto = tun.l3proto == FL_L3_IPV4 ? FL_ETH_P_IPV4 : FL_ETH_P_IPV6;
	e.id = tunnel_fold(tun.src, tun.dst);
}

// Hardware-tagged encapsulations name VLAN tags the other direction arrives with.
bool hw_vlans_valid(u8 bits, const Tuple &other)
{
	for (unsigned i = 0; i < 8; i++) {
		if (!(bits & (1u << i)))
			continue;
		if (i >= other.encap_num || other.encap[i].proto == FL_ETH_P_PPP_SES)
			return false;
	}
	return true;
}

// A tunnel needs a free encapsulation slot in its direction's key.
bool tunnel_valid(const struct fl_tunnel &tun, const Tuple &t)
{
	if (!tun.l3proto)
		return zero_tunnel(tun);
	if (tun.l3proto != FL_L3_IPV4 && tun.l3proto != FL_L3_IPV6)
		return false;
	if (t.encap_num >= FL_ENCAP_MAX)
		return false;
	// IPv6 inside IPv4 (sit) is not a tunnel the fastpath takes.
	if (tun.l3proto == FL_L3_IPV4 && t.l3proto == FL_L3_IPV6)
		return false;
	if (tun.l3proto == FL_L3_IPV4)
		for (unsigned i = 1; i < 4; i++)
			if (tun.src.w[i] || tun.dst.w[i])
				return false;
	return true;
}

bool params_valid(const struct fl_flow_params &p)
{
	const Tuple &o = p.tuple[FL_DIR_ORIGINAL];
	const Tuple &r = p.tuple[FL_DIR_REPLY];
	if (!tunnel_valid(p.tun[FL_DIR_ORIGINAL], o) || !tunnel_valid(p.tun[FL_DIR_REPLY], r))
		return false;
	return tuple_valid(o) && tuple_valid(r) && o.l3proto == r.l3proto &&
	       o.l4proto == r.l4proto && xmit_valid(p.xmit[0]) && xmit_valid(p.xmit[1]) &&
	       hw_vlans_valid(p.xmit[FL_DIR_ORIGINAL].hw_vlans, r) &&
	       hw_vlans_valid(p.xmit[FL_DIR_REPLY].hw_vlans, o);
}

} // namespace

// ------------------------------------------------------------------ table

FlowTable::FlowTable(const struct fl_flowtable_config &cfg, FlowHash *hash, struct fl_work *gc_work)
	: flags_(cfg.flags), family_(cfg.family), ops_(cfg.ops),
	  gc_interval_ticks_(cfg.gc_interval_ms ? max<u32>(1, cfg.gc_interval_ms * fl_time_hz() / 1000)
						: 0),
	  tcp_timeout_s_(cfg.tcp_timeout_s ? cfg.tcp_timeout_s : kDefaultTimeoutS),
	  udp_timeout_s_(cfg.udp_timeout_s ? cfg.udp_timeout_s : kDefaultTimeoutS), hash_(hash),
	  gc_work_(gc_work)
{
}

Result<FlowTable *> FlowTable::try_create(const struct fl_flowtable_config &cfg)
{
	constexpr unsigned kKnownFlags =
		FL_FLOWTABLE_HW_OFFLOAD | FL_FLOWTABLE_COUNTER | FL_FLOWTABLE_TCP_CLOSING;
	if (!cfg.ops || (cfg.flags & ~kKnownFlags) ||
	    (cfg.family && cfg.family != FL_L3_IPV4 && cfg.family != FL_L3_IPV6) ||
	    cfg.tcp_timeout_s > kMaxTimeoutS || cfg.udp_timeout_s > kMaxTimeoutS)
		return Error::Invalid;

	RhashParams params;
	if (cfg.min_buckets)
		params.min_buckets = cfg.min_buckets;
	FlowHash *hash = TRY(FlowHash::try_create(params));

	void *mem = fl_alloc(sizeof(FlowTable), FL_ALLOC_ZERO);
	if (!mem)
		goto destroy_hash;
	{
		struct fl_work *work = fl_work_create(&FlowTable::gc_work, mem);
		if (!work)
			goto free_mem;
		FlowTable *ft = new (mem, placement) FlowTable(cfg, hash, work);
		if (ft->gc_interval_ticks_)
			fl_work_queue_delayed(work, ft->gc_interval_ticks_);
		return ft;
	}

free_mem:
	fl_free(mem, sizeof(FlowTable));
destroy_hash:
	FlowHash::destroy(hash);
	return Error::NoMemory;
}

void FlowTable::destroy(FlowTable *ft)
{
	if (!ft)
		return;
	ft->dying_.store_relaxed(1);
	// The GC work reschedules itself: stop it before draining.
	fl_work_destroy(ft->gc_work_);
	ft->drain_all();
	FlowHash::destroy(ft->hash_);
	ft->~FlowTable();
	fl_free(ft, sizeof(FlowTable));
}

// Tear down everything and collect until the table is empty; offloaded flows
// leave only once the hardware has let go of them.
void FlowTable::drain_all()
{
	cleanup_dev(0);
	for (unsigned round = 0; (count() || any_parked()) && round < 1000; round++) {
		struct fl_gc_result res = {};
		gc(&res);
		if ((count() || any_parked()) && hw_)
			hw_->flush();
	}
	FL_ASSERT(count() == 0 && !any_parked());
}

Status FlowTable::set_timeout(u8 l4proto, u32 seconds)
{
	if (seconds < 1 || seconds > kMaxTimeoutS)
		return Error::Invalid;
	if (l4proto == FL_IPPROTO_TCP)
		tcp_timeout_s_.store_relaxed(seconds);
	else if (l4proto == FL_IPPROTO_UDP)
		udp_timeout_s_.store_relaxed(seconds);
	else
		return Error::Invalid;
	return {};
}

Status FlowTable::set_flags(unsigned int flags)
{
	// Hardware offload and the TCP semantics are bound when the table is
	// created: only the counter flag comes and goes.
	if ((flags ^ this->flags()) & ~FL_FLOWTABLE_COUNTER)
		return Error::Invalid;
	flags_.store_relaxed(flags);
	return {};
}

u32 FlowTable::timeout_s(u8 l4proto) const
{
	if (l4proto == FL_IPPROTO_TCP)
		return tcp_timeout_s_.load_relaxed();
	if (l4proto == FL_IPPROTO_UDP)
		return udp_timeout_s_.load_relaxed();
	return 0;
}

u32 FlowTable::timeout_ticks(u8 l4proto) const { return seconds_to_ticks(timeout_s(l4proto)); }

s32 handback_timeout(s32 left, u32 state_timeout, u32 offload_timeout)
{
	// The flow may have been idle for a whole offload timeout: that much of the
	// state's timeout is spent already.
	s64 want = static_cast<s64>(state_timeout) - offload_timeout;
	if (want < 0)
		want = 0;
	return want < left ? static_cast<s32>(want) : left;
}

// ------------------------------------------------------------------ flows

Result<Flow *> FlowTable::try_create_flow(const struct fl_flow_params &p)
{
	if (!params_valid(p))
		return Error::Invalid;
	bool tunnel = has_tunnel(p);
	auto *flow = static_cast<Flow *>(
		fl_alloc(flow_size(tunnel), FL_ALLOC_ATOMIC | FL_ALLOC_ZERO));
	if (!flow)
		return Error::NoMemory;
	for (unsigned d = 0; d < 2; d++) {
		flow->entry[d].key = p.tuple[d];
		flow->entry[d].key.dir = static_cast<u8>(d);
		append_tunnel_key(flow->entry[d].key, p.tun[d]);
		flow->xmit[d] = p.xmit[d];
		if (tunnel)
			reinterpret_cast<TunnelFlow *>(flow)->tun[d] = p.tun[d];
	}
	flow->ct = p.ct;
	u32 nat = derive_nat_flags(p.tuple[FL_DIR_ORIGINAL], p.tuple[FL_DIR_REPLY]);
	flow->flags.init(nat | (tunnel ? kFlowTunnel : 0));
	flow->entry[0].hot.store_relaxed(nat);
	flow->entry[1].hot.store_relaxed(nat);
	return flow;
}

// Release what the flow owns. Only once no reader can reach it.
void FlowTable::free_flow(Flow *flow)
{
	for (unsigned d = 0; d < 2; d++)
		if (flow->xmit[d].route && ops_->route_release)
			ops_->route_release(flow->xmit[d].route);
	if (flow->ct && ops_->ct_release)
		ops_->ct_release(flow->ct);
	fl_free(flow, flow_size(flow->has_tunnel()));
}

void FlowTable::free_unadded(Flow *flow)
{
	if (flow)
		free_flow(flow);
}

Status FlowTable::try_add(Flow *flow)
{
	flow->timeout.store_relaxed(Tick::now().plus(timeout_ticks(flow->l4proto())).raw());
	// Publish the original direction last: GC walks originals, so it never finds
	// a flow whose reply direction is not linked yet. The read-side section
	// keeps the flow from being freed (GC waits for it) until the offload
	// engine has seen it.
	RcuReadGuard rcu;
	HashEntry<Tuple> *entries[2] = {&flow->entry[FL_DIR_REPLY], &flow->entry[FL_DIR_ORIGINAL]};
	Status st = hash_->insert_all(entries, 2);
	// A torn-down flow holding a key (until GC would unlink it) gives it up now:
	// the connection is offloaded again at once, not a GC pass later.
	if (!st.ok() && evict_torn_down(*flow))
		st = hash_->insert_all(entries, 2);
	if (!st.ok()) {
		add_exists_.fetch_add(1);
		return st;
	}
	flows_added_.fetch_add(1);
	// Tunnel flows stay in software: the offload rules of Linux 6.1 and 6.12
	// flowtables have no way to strip or build the outer header.
	if ((flags() & FL_FLOWTABLE_HW_OFFLOAD) && hw_ && !flow->has_tunnel()) {
		flow->flags.set(FL_FLOW_HW);
		hw_->flow_added(*flow);
	}
	return {};
}

// Under RCU: unlink every torn-down flow holding one of @flow's keys; false when
// a live flow holds one, or nothing could be unlinked.
bool FlowTable::evict_torn_down(const Flow &flow)
{
	bool evicted = false;
	for (unsigned d = 0; d < 2; d++) {
		HashEntry<Tuple> *e = hash_->lookup(flow.entry[d].key);
		if (!e)
			continue;
		Flow *old = Flow::from_entry(e);
		if (!old->torn_down())
			return false;
		// Claimed once, by GC or by us; a claim that finds no slot is given back.
		if (old->flags.test_and_set(kFlowUnlinked))
			return false;
		if (!park(old)) {
			old->flags.test_and_clear(kFlowUnlinked);
			return false;
		}
		unlink(*old);
		evicted = true;
	}
	return evicted;
}

bool FlowTable::park(Flow *flow)
{
	for (unsigned i = 0; i < kParkSlots; i++) {
		Flow *none = nullptr;
		if (parked_[i].compare_exchange(none, flow))
			return true;
	}
	return false;
}

bool FlowTable::any_parked() const
{
	for (unsigned i = 0; i < kParkSlots; i++)
		if (parked_[i].load_acquire())
			return true;
	return false;
}

Flow *FlowTable::find(const Tuple &key, Dir *dir) const
{
	HashEntry<Tuple> *e = hash_->lookup(key);
	if (!e)
		return nullptr;
	*dir = static_cast<Dir>(e->key.dir);
	return Flow::from_entry(e);
}

bool FlowTable::usable(const Flow &flow, Dir dir) const
{
	if (flow.hot(dir) & FL_FLOW_TEARDOWN)
		return false;
	return !(flow.ct && ops_->ct_alive && !ops_->ct_alive(flow.ct));
}

void FlowTable::refresh(Flow &flow)
{
	u32 timeout = timeout_ticks(flow.l4proto());
	Tick next = Tick::now().plus(timeout);
	// Write at most once a second (an eighth of the timeout when that is
	// shorter): both directions' CPUs share this line. A shortened timeout
	// (set_timeout) moves the expiry back at once.
	s32 slack = static_cast<s32>(min(fl_time_hz(), timeout / 8));
	s32 ahead = next.since(Tick(flow.timeout.load_relaxed()));
	if (ahead <= slack && ahead >= -slack)
		return;
	flow.timeout.store_relaxed(next.raw());
	// A closing flow is on its way out of the hardware: never push it back.
	if (flow.flags.test(FL_FLOW_HW) && hw_ && !flow.closing())
		hw_->flow_refreshed(flow);
}

void FlowTable::account(Flow &flow, Dir dir, u64 packets, u64 bytes)
{
	unsigned d = index_of(dir);
	flow.packets[d].fetch_add(packets);
	flow.bytes[d].fetch_add(bytes);
	if (counting() && flow.ct && ops_->ct_account)
		ops_->ct_account(flow.ct, static_cast<enum fl_dir>(dir), packets, bytes);
}

bool FlowTable::refresh_from(Flow &flow, Tick lastused)
{
	Tick until = lastused.plus(timeout_ticks(flow.l4proto()));
	u32 cur = flow.timeout.load_relaxed();
	// Never backwards: software traffic may have pushed it further already.
	while (until.after(Tick(cur))) {
		if (flow.timeout.compare_exchange(cur, until.raw()))
			return true;
	}
	return false;
}

void FlowTable::teardown(Flow &flow, enum fl_teardown_reason why)
{
	if (flow.flags.test_and_set(FL_FLOW_TEARDOWN))
		return;
	flow.entry[0].hot.fetch_or(FL_FLOW_TEARDOWN);
	flow.entry[1].hot.fetch_or(FL_FLOW_TEARDOWN);
	teardowns_.fetch_add(1);
	// Whatever ends a closing flow, conntrack gets a closed connection back.
	if (flow.closing() && flow.l4proto() == FL_IPPROTO_TCP)
		why = FL_TEARDOWN_TCP_CLOSED;
	if (flow.ct && ops_->ct_teardown)
		ops_->ct_teardown(flow.ct, why);
}

bool FlowTable::uses_dev(const Flow &flow, s32 ifindex)
{
	for (unsigned d = 0; d < 2; d++)
		if (flow.entry[d].key.iifindex == ifindex || flow.xmit[d].ifindex == ifindex ||
		    flow.xmit[d].hw_ifindex == ifindex)
			return true;
	return false;
}

unsigned long FlowTable::cleanup_dev(s32 ifindex)
{
	unsigned long n = 0;
	for_each_flow([&](Flow &flow) {
		bool match = ifindex == 0 || uses_dev(flow, ifindex);
		if (match && !flow.torn_down()) {
			teardown(flow, ifindex ? FL_TEARDOWN_DEVICE : FL_TEARDOWN_EXPLICIT);
			n++;
		}
		return true;
	});
	return n;
}

bool FlowTable::any_flow_uses(s32 ifindex) const
{
	bool found = false;
	for_each_flow([&](Flow &flow) {
		found = !flow.flags.test(kFlowUnlinked) && uses_dev(flow, ifindex);
		return !found;
	});
	return found;
}

// -------------------------------------------------------------------- GC

bool FlowTable::expired(const Flow &flow) const
{
	return Tick::now().since(Tick(flow.timeout.load_relaxed())) >= 0;
}

void FlowTable::unlink(Flow &flow)
{
	HashEntry<Tuple> *entries[2] = {&flow.entry[FL_DIR_ORIGINAL], &flow.entry[FL_DIR_REPLY]};
	hash_->remove_all(entries, 2);
}

// Flows unlinked by one GC pass, freed together after one grace period. The
// first chunk lives on the stack; more are allocated as needed. If that fails
// the pass stops unlinking and the rest waits for the next pass: GC always makes
// progress and never loses a flow.
class FlowTable::FreeBatch {
public:
	explicit FreeBatch(FlowTable &ft) : ft_(ft) {}
	FreeBatch(const FreeBatch &) = delete;
	FreeBatch &operator=(const FreeBatch &) = delete;

	bool has_room()
	{
		if (cur_->n < kChunk)
			return true;
		if (full_)
			return false;
		auto *next = static_cast<Chunk *>(fl_alloc(sizeof(Chunk), FL_ALLOC_ATOMIC));
		if (!next) {
			full_ = true; // the rest of this pass waits for the next one
			return false;
		}
		next->n = 0;
		next->prev = cur_;
		cur_ = next;
		return true;
	}
	void add(Flow *flow) { cur_->flows[cur_->n++] = flow; }
	// Outside any read-side section: wait once, then free everything.
	void release()
	{
		if (cur_ == &first_ && first_.n == 0)
			return;
		fl_rcu_synchronize();
		while (cur_) {
			for (u32 i = 0; i < cur_->n; i++)
				ft_.free_flow(cur_->flows[i]);
			Chunk *prev = cur_->prev;
			if (cur_ != &first_)
				fl_free(cur_, sizeof(Chunk));
			cur_ = prev;
		}
	}

private:
	static constexpr u32 kChunk = 62;
	struct Chunk {
		Chunk *prev;
		u32 n;
		Flow *flows[kChunk];
	};

	FlowTable &ft_;
	Chunk first_{nullptr, 0, {}};
	Chunk *cur_ = &first_;
	bool full_ = false;
};

// A live offloaded flow: a closing one leaves the hardware early (its last
// packets take the software fastpath), the others report statistics.
void FlowTable::gc_alive_hw(Flow &flow)
{
	if (!flow.flags.test(FL_FLOW_HW) || !hw_)
		return;
	if (!flow.closing()) {
		hw_->flow_stats(flow);
		return;
	}
	if (!flow.flags.test(FL_FLOW_HW_DYING))
		hw_->flow_removing(flow);
}

// One flow's GC step; true when the flow is torn down and may be unlinked now.
bool FlowTable::gc_wants_unlink(Flow &flow, struct fl_gc_result &res)
{
	res.visited++;
	if (flow.flags.test(kFlowUnlinked))
		return false; // seen twice during a resize
	if (!flow.torn_down()) {
		if (expired(flow)) {
			teardown(flow, FL_TEARDOWN_TIMEOUT);
			res.expired++;
		} else if (flow.ct && ops_->ct_alive && !ops_->ct_alive(flow.ct)) {
			teardown(flow, FL_TEARDOWN_CT_DYING);
			res.ct_dying++;
		}
	}
	if (!flow.torn_down()) {
		if (flow.ct && ops_->ct_keepalive)
			ops_->ct_keepalive(flow.ct);
		gc_alive_hw(flow);
		return false;
	}
	if (flow.flags.test(FL_FLOW_HW) && hw_ && !flow.flags.test(FL_FLOW_HW_DEAD)) {
		if (!flow.flags.test(FL_FLOW_HW_DYING))
			hw_->flow_removing(flow);
		res.hw_waiting++;
		return false;
	}
	return true;
}

// Evicted flows: free them once the hardware has let go, like linked ones.
void FlowTable::reap_parked(FreeBatch &batch, struct fl_gc_result &res)
{
	for (unsigned i = 0; i < kParkSlots; i++) {
		Flow *flow = parked_[i].load_acquire();
		if (!flow)
			continue;
		if (flow->flags.test(FL_FLOW_HW) && hw_ && !flow->flags.test(FL_FLOW_HW_DEAD)) {
			if (!flow->flags.test(FL_FLOW_HW_DYING))
				hw_->flow_removing(*flow);
			res.hw_waiting++;
			continue;
		}
		if (!batch.has_room())
			return;
		parked_[i].store_release(nullptr); // only GC empties slots
		batch.add(flow);
		res.freed++;
	}
}

void FlowTable::gc(struct fl_gc_result *res)
{
	struct fl_gc_result local = {};
	if (!res)
		res = &local;
	*res = {};
	u32 idle = 0;
	if (!gc_running_.compare_exchange(idle, 1))
		return; // another pass is running; it does the work
	FreeBatch batch(*this);
	for_each_flow([&](Flow &flow) {
		if (!gc_wants_unlink(flow, *res) || !batch.has_room())
			return true;
		if (flow.flags.test_and_set(kFlowUnlinked))
			return true; // evicted by a new flow meanwhile: parked
		unlink(flow);
		batch.add(&flow);
		res->freed++;
		return true;
	});
	reap_parked(batch, *res);
	batch.release();
	gc_running_.store_release(0);
	gc_runs_.fetch_add(1);
	gc_expired_.fetch_add(res->expired);
	gc_freed_.fetch_add(res->freed);
}

void FlowTable::collect()
{
	// The GC work, if any, runs now (after a pass in progress) and is queued
	// again as usual; without one, nothing else collects concurrently.
	if (gc_interval_ticks_ && !dying_.load_relaxed())
		fl_work_flush(gc_work_);
	else
		gc(nullptr);
}

void FlowTable::gc_work(void *arg)
{
	auto *ft = static_cast<FlowTable *>(arg);
	ft->gc(nullptr);
	if (!ft->dying_.load_relaxed())
		fl_work_queue_delayed(ft->gc_work_, ft->gc_interval_ticks_);
}

// ------------------------------------------------------------------ stats

void FlowTable::stats(struct fl_stats *st) const
{
	zero_bytes(st, sizeof(*st));
	for (unsigned s = 0; s < kStatSlots; s++) {
		st->hits += stat_slots_[s].hits.load_relaxed();
		for (unsigned r = 0; r < FL_SLOW_REASON_COUNT; r++)
			st->slow[r] += stat_slots_[s].slow[r].load_relaxed();
	}
	st->flows_added = flows_added_.load_relaxed();
	st->add_exists = add_exists_.load_relaxed();
	st->teardowns = teardowns_.load_relaxed();
	st->gc_runs = gc_runs_.load_relaxed();
	st->gc_expired = gc_expired_.load_relaxed();
	st->gc_freed = gc_freed_.load_relaxed();
	RhashStats hs = hash_->stats();
	st->resizes = hs.resizes;
	st->resize_failed = hs.resize_failed;
	st->buckets = hash_->buckets();
}

} // namespace fl
