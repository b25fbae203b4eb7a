// SPDX-License-Identifier: GPL-2.0
#include "testing/fakes/fake_conntrack.h"

namespace flfake {

namespace {

FakeCt *ct_of(void *ct) { return static_cast<FakeCt *>(ct); }
FakeRoute *route_of(void *r) { return static_cast<FakeRoute *>(r); }

bool ct_alive(void *ct) { return ct_of(ct)->alive.load(); }
void ct_teardown(void *ct, enum fl_teardown_reason why)
{
	ct_of(ct)->teardowns.fetch_add(1);
	ct_of(ct)->last_reason.store(why);
}
void ct_release(void *ct) { ct_of(ct)->releases.fetch_add(1); }
void ct_account(void *ct, enum fl_dir dir, fl_u64 packets, fl_u64 bytes)
{
	ct_of(ct)->acct_packets[dir].fetch_add(packets);
	ct_of(ct)->acct_bytes[dir].fetch_add(bytes);
}
void ct_keepalive(void *ct) { ct_of(ct)->keepalives.fetch_add(1); }
bool route_valid(void *r, fl_u32) { return route_of(r)->valid.load(); }
void route_release(void *r) { route_of(r)->releases.fetch_add(1); }

const struct fl_flowtable_ops kOps = {
	.ct_alive = ct_alive,
	.ct_teardown = ct_teardown,
	.ct_release = ct_release,
	.ct_account = ct_account,
	.ct_keepalive = ct_keepalive,
	.route_valid = route_valid,
	.route_release = route_release,
};

} // namespace

const struct fl_flowtable_ops *fake_ops() { return &kOps; }

} // namespace flfake
