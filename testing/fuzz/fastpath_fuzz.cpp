// SPDX-License-Identifier: GPL-2.0
//
// libFuzzer target: arbitrary bytes through the fastpath, as a frame (L2), as
// post-Ethernet data with an ethertype (the kernel's view) or as an IP packet,
// with headers contiguous or not, into a table holding flows the seeds hit.
// The fastpath must never crash, read or write out of bounds, or leak; a
// transmit verdict must point inside the buffer.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "testing/fakes/fake_conntrack.h"
#include "testing/fakes/flow_builder.h"
#include "sim/net/frames.h"
#include "testing/fuzz/fuzz_seeds.h"
#include "platform/user/platform.h"

namespace {

struct fl_flowtable *table;

std::vector<flfake::FlowSpec> specs()
{
	std::vector<flfake::FlowSpec> v(4);
	v[1].snat = v[1].dnat = true;
	v[1].client_port = 1;
	v[2].ipver = 6;
	v[2].client = "2001:db8:1::2";
	v[2].server = "2001:db8:2::2";
	v[2].snat_addr = "2001:db8:ff::1";
	v[2].dnat_addr = "2001:db8:ee::7";
	v[2].snat = true;
	v[2].l4proto = FL_IPPROTO_UDP;
	v[2].client_encap = {{10, FL_ETH_P_8021Q}};
	v[3].client_port = 3;
	v[3].client_encap = {{0x42, FL_ETH_P_PPP_SES}};
	v[3].server_encap = {{100, FL_ETH_P_8021AD}, {20, FL_ETH_P_8021Q}};
	return v;
}

void write_seeds(const char *dir)
{
	int n = 0;
	for (const flfake::FlowSpec &s : specs()) {
		flfake::FrameSpec f;
		f.ipver = s.ipver;
		f.proto = s.l4proto;
		f.saddr = s.client;
		f.daddr = s.dnat ? s.dnat_addr : s.server;
		f.sport = s.client_port;
		f.dport = s.dnat ? s.dnat_port : s.server_port;
		for (const fl_encap &e : s.client_encap) {
			if (e.proto == FL_ETH_P_PPP_SES)
				f.pppoe_session = e.id;
			else
				f.vlans.push_back({e.proto, e.id});
		}
		flfake::Bytes frame = flfake::build_frame(f);
		frame.insert(frame.begin(), static_cast<uint8_t>(n)); // the mode byte
		flfuzz::write_seed(dir, n++, frame.data(), frame.size());
	}
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
	flplat::set_work_mode(flplat::WorkMode::Manual);
	flfuzz::write_seeds_if_asked(write_seeds);
	struct fl_flowtable_config cfg = {};
	cfg.ops = flfake::fake_ops();
	if (fl_flowtable_create(&cfg, &table))
		std::abort();
	for (const flfake::FlowSpec &s : specs()) {
		struct fl_flow_params p = flfake::make_params(s);
		struct fl_flow *flow;
		if (fl_flow_create(table, &p, &flow) || fl_flowtable_add(table, flow))
			std::abort();
	}
	return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t mode = data[0];
	data++;
	size--;
	// The packet in its own allocation so ASan sees any overrun; headroom in front.
	const size_t headroom = 32;
	std::vector<uint8_t> buf(headroom + size);
	std::memcpy(buf.data() + headroom, data, size);
	struct fl_packet pkt = {};
	pkt.data = buf.data() + headroom;
	pkt.len = static_cast<fl_u32>(size);
	pkt.headlen = (mode & 0x10) ? static_cast<fl_u32>(size / 2) : static_cast<fl_u32>(size);
	pkt.headroom = (mode & 0x20) ? 4 : headroom;
	pkt.iifindex = 1 + (mode & 1);
	pkt.entry = (mode >> 1) % 3;
	pkt.flags = static_cast<fl_u8>(((mode & 0x40) ? FL_PKT_BUILD_L2 : 0) | ((mode & 0x80) ? FL_PKT_CSUM_PARTIAL : 0));
	if (pkt.entry == FL_ENTRY_ETHERTYPE && size >= 14) {
		pkt.ethertype = static_cast<fl_u16>(data[12] << 8 | data[13]);
		pkt.data += 14;
		pkt.len -= 14;
		pkt.headlen = pkt.headlen > 14 ? pkt.headlen - 14 : 0;
		pkt.headroom += 14;
	}
	struct fl_result res;
	fl_rcu_read_lock();
	fl_fastpath(table, &pkt, &res);
	fl_rcu_read_unlock();
	if (res.verdict == FL_VERDICT_XMIT) {
		const uint8_t *lo = buf.data(), *hi = buf.data() + buf.size();
		if (res.out_data < lo || res.out_data + res.out_len > hi)
			std::abort();
	}
	return 0;
}
