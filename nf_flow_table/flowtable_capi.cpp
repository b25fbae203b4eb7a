// SPDX-License-Identifier: GPL-2.0
//
// The C API of include/flowlane/flowtable.h over the C++ core. This is the one
// place where core errors become negative errno values.
#include "nf_flow_table/fastpath.h"
#include "nf_flow_table/flow_table.h"

using namespace fl;

namespace {

template <typename T> int out_or_errno(Result<T *> r, T **out)
{
	if (!r.ok())
		return to_errno(r.error());
	*out = r.release_value();
	return 0;
}

int errno_of(Status st) { return st.ok() ? 0 : to_errno(st.error()); }

const char *const kSlowNames[FL_SLOW_REASON_COUNT] = {
	"none",        "not-ip",      "fragment",     "ip-options",  "ttl",
	"malformed",   "not-tcp-udp", "no-entry",     "teardown",    "mtu",
	"tcp-fin-rst", "route-stale", "need-pull",    "no-headroom", "not-writable",
	"tcp-reopen",  "tunnel",
	"not-host",
};

} // namespace

extern "C" {

int fl_flowtable_create(const struct fl_flowtable_config *cfg, struct fl_flowtable **out) noexcept
{
	if (!cfg || !out)
		return to_errno(Error::Invalid);
	FlowTable *ft = nullptr;
	int err = out_or_errno(FlowTable::try_create(*cfg), &ft);
	if (!err)
		*out = to_c(ft);
	return err;
}

void fl_flowtable_destroy(struct fl_flowtable *ft) noexcept { FlowTable::destroy(to_core(ft)); }

int fl_flowtable_set_timeout(struct fl_flowtable *ft, fl_u8 l4proto, fl_u32 seconds) noexcept
{
	return errno_of(to_core(ft)->set_timeout(l4proto, seconds));
}

fl_u32 fl_flowtable_timeout(const struct fl_flowtable *ft, fl_u8 l4proto) noexcept
{
	return to_core(ft)->timeout_s(l4proto);
}

unsigned int fl_flowtable_flags_get(const struct fl_flowtable *ft) noexcept
{
	return to_core(ft)->flags();
}

fl_s32 fl_handback_timeout(fl_s32 left, fl_u32 state_timeout, fl_u32 offload_timeout) noexcept
{
	return handback_timeout(left, state_timeout, offload_timeout);
}

int fl_flowtable_set_flags(struct fl_flowtable *ft, unsigned int flags) noexcept
{
	return errno_of(to_core(ft)->set_flags(flags));
}

int fl_flow_create(struct fl_flowtable *ft, const struct fl_flow_params *p,
		   struct fl_flow **out) noexcept
{
	if (!ft || !p || !out)
		return to_errno(Error::Invalid);
	return out_or_errno(to_core(ft)->try_create_flow(*p), out);
}

void fl_flow_free(struct fl_flowtable *ft, struct fl_flow *flow) noexcept
{
	to_core(ft)->free_unadded(flow);
}

int fl_flowtable_add(struct fl_flowtable *ft, struct fl_flow *flow) noexcept
{
	return errno_of(to_core(ft)->try_add(flow));
}

struct fl_flow *fl_flowtable_lookup(struct fl_flowtable *ft, const struct fl_tuple *key,
				    enum fl_dir *dir) noexcept
{
	Dir d = Dir::Original;
	Flow *flow = to_core(ft)->lookup(*key, &d);
	if (flow && dir)
		*dir = static_cast<enum fl_dir>(d);
	return flow;
}

void fl_flow_refresh(struct fl_flowtable *ft, struct fl_flow *flow) noexcept
{
	to_core(ft)->refresh(*flow);
}

void fl_flow_teardown(struct fl_flowtable *ft, struct fl_flow *flow,
		      enum fl_teardown_reason why) noexcept
{
	to_core(ft)->teardown(*flow, why);
}

const struct fl_tuple *fl_flow_tuple(const struct fl_flow *flow, enum fl_dir dir) noexcept
{
	return &flow->tuple(static_cast<Dir>(dir));
}

const struct fl_tunnel *fl_flow_tunnel(const struct fl_flow *flow, enum fl_dir dir) noexcept
{
	Dir d = static_cast<Dir>(dir);
	if (!flow->has_tunnel() || !flow->tunnel(d).l3proto)
		return nullptr;
	return &flow->tunnel(d);
}

const struct fl_xmit *fl_flow_xmit(const struct fl_flow *flow, enum fl_dir dir) noexcept
{
	return &flow->out(static_cast<Dir>(dir));
}

unsigned int fl_flow_flags(const struct fl_flow *flow) noexcept
{
	return flow->flags.get() & kFlowPublicMask;
}

void *fl_flow_ct(const struct fl_flow *flow) noexcept { return flow->ct; }

fl_s32 fl_flow_expires_in(const struct fl_flowtable *ft, const struct fl_flow *flow) noexcept
{
	(void)ft;
	s32 ticks = Tick(flow->timeout.load_relaxed()).since(Tick::now());
	return ticks / static_cast<s32>(fl_time_hz());
}

void fl_flow_counters(const struct fl_flow *flow, enum fl_dir dir, fl_u64 *packets,
		      fl_u64 *bytes) noexcept
{
	unsigned d = index_of(static_cast<Dir>(dir));
	if (packets)
		*packets = flow->packets[d].load_relaxed();
	if (bytes)
		*bytes = flow->bytes[d].load_relaxed();
}

unsigned long fl_flowtable_iterate(struct fl_flowtable *ft, fl_flow_iter_fn fn, void *arg) noexcept
{
	return to_core(ft)->for_each_flow([&](Flow &flow) { return fn(&flow, arg); });
}

unsigned long fl_flowtable_cleanup_dev(struct fl_flowtable *ft, fl_s32 ifindex) noexcept
{
	return to_core(ft)->cleanup_dev(ifindex);
}

void fl_flowtable_gc(struct fl_flowtable *ft, struct fl_gc_result *res) noexcept
{
	to_core(ft)->gc(res);
}

unsigned long fl_flowtable_count(const struct fl_flowtable *ft) noexcept
{
	return to_core(ft)->count();
}

void fl_fastpath(struct fl_flowtable *ft, struct fl_packet *pkt, struct fl_result *res) noexcept
{
	fastpath(*to_core(ft), *pkt, *res);
}

unsigned int fl_fastpath_burst(struct fl_flowtable *ft, struct fl_packet *pkts, unsigned int n,
			       struct fl_result *res) noexcept
{
	return fastpath_burst(*to_core(ft), pkts, n, res);
}

unsigned int fl_flowtable_lookup_burst(struct fl_flowtable *ft, const struct fl_tuple *keys,
				       unsigned int n, struct fl_flow **flows, fl_u8 *dirs) noexcept
{
	return lookup_burst(*to_core(ft), keys, n, flows, dirs);
}

const char *fl_slow_reason_name(unsigned int reason) noexcept
{
	return reason < FL_SLOW_REASON_COUNT ? kSlowNames[reason] : "unknown";
}

void fl_flowtable_stats(const struct fl_flowtable *ft, struct fl_stats *st) noexcept
{
	to_core(ft)->stats(st);
}

} // extern "C"
