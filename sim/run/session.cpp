// SPDX-License-Identifier: GPL-2.0
//
// A simulator run: pcap replay and generated conversations through the
// router, with snapshots of its views and the output captures.
#include "sim/run/session.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "sim/net/frames.h"
#include "sim/net/pcap_io.h"

namespace flsim {

// ------------------------------------------------------------------ parsing

namespace {

bool parse_endpoint(const std::string &s, IpAddr &addr, uint16_t &port, bool port_required)
{
	std::string host = s, p;
	if (!s.empty() && s[0] == '[') {
		size_t close = s.find(']');
		if (close == std::string::npos)
			return false;
		host = s.substr(1, close - 1);
		if (close + 1 < s.size()) {
			if (s[close + 1] != ':')
				return false;
			p = s.substr(close + 2);
		}
	} else if (size_t colon = s.rfind(':'); colon != std::string::npos && s.find(':') == colon) {
		host = s.substr(0, colon);
		p = s.substr(colon + 1);
	}
	if (!parse_ip(host, addr))
		return false;
	if (p.empty())
		return !port_required;
	char *end = nullptr;
	unsigned long v = std::strtoul(p.c_str(), &end, 10);
	if (*end || v == 0 || v > 65535)
		return false;
	port = static_cast<uint16_t>(v);
	return true;
}

bool parse_number(const std::string &s, unsigned long lo, unsigned long hi, unsigned long &out)
{
	if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 9)
		return false;
	out = std::stoul(s);
	return out >= lo && out <= hi;
}

} // namespace

Parsed<Conversation> parse_conversation(const std::string &spec, const std::string &where)
{
	std::istringstream in(spec);
	std::vector<std::string> w;
	for (std::string t; in >> t;)
		w.push_back(t);
	auto fail = [&](const std::string &msg) { return Diag{{where, 1, 1}, msg + " in \"" + spec + "\""}; };
	if (w.size() < 3 || (w[0] != "tcp" && w[0] != "udp"))
		return fail("expected: tcp|udp CLIENT[:PORT] SERVER:PORT [packets N] [size BYTES] [gap MS] "
			    "[close fin|rst|none]");
	Conversation c;
	c.proto = w[0] == "tcp" ? 6 : 17;
	c.close = c.proto == 6 ? Conversation::Fin : Conversation::None;
	c.cport = 40000;
	if (!parse_endpoint(w[1], c.client, c.cport, false))
		return fail("bad client address " + w[1]);
	if (!parse_endpoint(w[2], c.server, c.sport, true))
		return fail("bad server address:port " + w[2]);
	if (c.client.ipver != c.server.ipver)
		return fail("client and server are of different IP versions");
	for (size_t i = 3; i < w.size(); i += 2) {
		if (i + 1 >= w.size())
			return fail("missing value after " + w[i]);
		unsigned long v = 0;
		if (w[i] == "packets" && parse_number(w[i + 1], 0, 1000000, v))
			c.packets = static_cast<unsigned>(v);
		else if (w[i] == "size" && parse_number(w[i + 1], 0, 1400, v))
			c.size = v;
		else if (w[i] == "gap" && parse_number(w[i + 1], 0, 3600000, v))
			c.gap_ms = static_cast<uint32_t>(v);
		else if (w[i] == "close" && c.proto == 6 && (w[i + 1] == "fin" || w[i + 1] == "rst" || w[i + 1] == "none"))
			c.close = w[i + 1] == "fin" ? Conversation::Fin
							: w[i + 1] == "rst" ? Conversation::Rst : Conversation::None;
		else
			return fail("bad option " + w[i] + " " + w[i + 1]);
	}
	c.text = spec;
	return c;
}

// ------------------------------------------------------------------ hosts

// One end of a conversation as its host sees it.
struct Session::Host {
	bool known = false;
	std::string port; // physical device of the router it is plugged into
	MacAddr mac{}, gw_mac{};
	std::vector<VlanTag> tags;
	IpAddr addr, peer;
	uint16_t port_no = 0, peer_port = 0;
	uint32_t seq = 0;
};

struct Session::Run {
	Conversation c;
	Host host[2]; // [0] client, [1] server
	struct Step {
		int from; // 0 client, 1 server
		uint8_t flags;
		size_t payload;
		int phase; // 0 open and data, 1 close
	};
	std::vector<Step> steps;
	size_t next = 0;
	bool dead = false;
	size_t result = 0;
	const Bytes *last_delivered = nullptr;
};

namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

std::vector<Session::Run::Step> plan(const Conversation &c)
{
	std::vector<Session::Run::Step> s;
	if (c.proto == 17) {
		for (unsigned i = 0; i < c.packets; i++) {
			s.push_back({0, 0, c.size, 0});
			s.push_back({1, 0, c.size, 0});
		}
		return s;
	}
	s.push_back({0, kSyn, 0, 0});
	s.push_back({1, kSyn | kAck, 0, 0});
	s.push_back({0, kAck, 0, 0});
	for (unsigned i = 0; i < c.packets; i++) {
		s.push_back({0, kPsh | kAck, c.size, 0});
		s.push_back({1, kAck, 0, 0});
	}
	if (c.close == Conversation::Fin) {
		s.push_back({0, kFin | kAck, 0, 1});
		s.push_back({1, kFin | kAck, 0, 1});
		s.push_back({0, kAck, 0, 1});
	} else if (c.close == Conversation::Rst) {
		s.push_back({0, kRst | kAck, 0, 1});
	}
	return s;
}

flfake::FrameSpec frame_for(const Session::Run &run, int from, const Session::Run::Step &st, uint32_t ack)
{
	const auto &h = run.host[from];
	flfake::FrameSpec f;
	f.dst = h.gw_mac;
	f.src = h.mac;
	for (const VlanTag &t : h.tags)
		f.vlans.push_back({t.tpid, t.id});
	f.ipver = h.addr.ipver;
	f.saddr = h.addr.str();
	f.daddr = h.peer.str();
	f.proto = run.c.proto;
	f.sport = h.port_no;
	f.dport = h.peer_port;
	f.tcp_flags = st.flags;
	f.seq = h.seq;
	f.ack = (st.flags & kAck) ? ack : 0;
	f.payload = st.payload;
	return f;
}

} // namespace

// ------------------------------------------------------------------ running

std::string Session::run(const SessionOptions &o)
{
	keep_inputs_ = o.inputs && !o.outdir.empty();
	if (!o.pcaps.empty())
		if (std::string err = replay(o); !err.empty())
			return err;
	if (!o.conversations.empty())
		if (std::string err = converse(o); !err.empty())
			return err;
	if (o.pcaps.empty() && o.conversations.empty())
		return "no traffic: give -i DEV=PCAP or -c CONVERSATION";
	if (o.idle_s) {
		idle(o.idle_s);
		snapshot("after " + std::to_string(o.idle_s) + " s idle");
	}
	return o.outdir.empty() ? "" : write_captures(o.outdir);
}

void Session::deliver(const std::vector<EmittedFrame> &frames)
{
	for (const EmittedFrame &f : frames)
		captures_[f.dev].push_back(f);
}

void Session::snapshot(const std::string &label)
{
	snapshots_.push_back({label, r_.now_ms(), r_.conntrack_list(), r_.tc_list(), r_.flowtable_stats()});
}

void Session::idle(uint32_t seconds)
{
	for (uint32_t i = 0; i < seconds; i++)
		r_.advance_ms(1000);
}

std::string Session::replay(const SessionOptions &o)
{
	struct In {
		uint64_t ts;
		size_t order;
		std::string dev;
		Bytes frame;
	};
	std::vector<In> all;
	for (const auto &[dev, path] : o.pcaps) {
		if (!r_.topology().link(dev))
			return "-i " + dev + "=" + path + ": no device " + dev + " in the topology";
		auto frames = read_pcap(path);
		if (auto *d = std::get_if<Diag>(&frames))
			return d->str();
		for (PcapFrame &f : std::get<std::vector<PcapFrame>>(frames))
			all.push_back({f.ts_us, all.size(), dev, std::move(f.data)});
	}
	std::stable_sort(all.begin(), all.end(), [](const In &a, const In &b) { return a.ts < b.ts; });
	uint64_t t0 = all.empty() ? 0 : all.front().ts, done_ms = 0;
	for (size_t i = 0; i < all.size(); i++) {
		uint64_t at_ms = (all[i].ts - t0) / 1000;
		if (at_ms > done_ms) {
			r_.advance_ms(at_ms - done_ms);
			done_ms = at_ms;
		}
		deliver(feed(all[i].dev, all[i].frame));
		if (o.progress && ((i + 1) % 10000 == 0 || i + 1 == all.size()))
			std::fprintf(stderr, "\rreplayed %zu/%zu frames", i + 1, all.size());
	}
	if (o.progress && !all.empty())
		std::fprintf(stderr, "\n");
	snapshot("end of the captures");
	return "";
}

std::string Session::converse(const SessionOptions &o)
{
	std::vector<Run> runs(o.conversations.size());
	for (size_t i = 0; i < runs.size(); i++) {
		Run &run = runs[i];
		run.c = o.conversations[i];
		run.steps = plan(run.c);
		auto at = r_.attachment(run.c.client);
		if (!at)
			return "conversation \"" + run.c.text + "\": the router has no route to the client " +
			       run.c.client.str();
		Host &cl = run.host[0];
		cl.known = true;
		cl.port = at->port;
		cl.mac = at->host_mac;
		cl.gw_mac = at->router_mac;
		cl.tags = at->tags;
		cl.addr = run.c.client;
		cl.port_no = run.c.cport;
		cl.peer = run.c.server;
		cl.peer_port = run.c.sport;
		cl.seq = 1000;
		run.host[1].seq = 5000;
		run.result = results_.size();
		results_.push_back({run.c.text, 0, 0, 0, ""});
	}
	// Interleave the conversations packet by packet: all open and exchange
	// data, the views are taken, then all close.
	for (int phase = 0; phase < 2; phase++) {
		for (bool any = true; any;) {
			any = false;
			for (Run &run : runs)
				any |= step(run, phase);
		}
		snapshot(phase == 0 ? "after the data" : "after the close");
	}
	return "";
}

// Send the conversation's next packet of @phase; false when it has none.
bool Session::step(Run &run, int phase)
{
	if (run.dead || run.next >= run.steps.size() || run.steps[run.next].phase != phase)
		return false;
	const Run::Step st = run.steps[run.next++];
	ConversationResult &res = results_[run.result];
	Host &me = run.host[st.from], &peer = run.host[!st.from];
	if (!me.known) {
		run.dead = true;
		res.problem = "the server never got the first packet";
		return false;
	}
	if (run.next > 1)
		r_.advance_ms(run.c.gap_ms);
	Bytes frame = flfake::build_frame(frame_for(run, st.from, st, peer.seq));
	me.seq += static_cast<uint32_t>(st.payload) + ((st.flags & (kSyn | kFin)) ? 1 : 0);
	res.sent++;
	std::vector<EmittedFrame> out = feed(me.port, frame);
	deliver(out);
	if (out.empty()) {
		run.dead = true;
		res.problem = "packet " + std::to_string(run.next) + " (" + (st.from ? "server" : "client") +
			      ") was not forwarded: " + r_.trace().back().path + " (" + r_.trace().back().reason + ")";
		return false;
	}
	const EmittedFrame &got = out.front();
	auto v = parse_packet(got.frame);
	if (!v)
		return true;
	if (!flfake::verify_checksums(got.frame.data() + v->l3, v->l3len()).empty())
		res.bad_checksums++;
	if (!peer.known) {
		// The server learns its side from the first packet it receives.
		peer.known = true;
		peer.port = got.dev;
		peer.mac = v->dst_mac;
		peer.gw_mac = v->src_mac;
		peer.tags = v->vlans;
		peer.addr = v->dst;
		peer.port_no = v->dport;
		peer.peer = v->src;
		peer.peer_port = v->sport;
	}
	bool right = v->dst == peer.addr && v->dport == peer.port_no && v->src == peer.peer &&
		     v->sport == peer.peer_port;
	if (right)
		res.delivered++;
	else if (res.problem.empty())
		res.problem = "packet " + std::to_string(run.next) + " arrived as " + v->summary();
	return true;
}

std::vector<EmittedFrame> Session::feed(const std::string &dev, const Bytes &frame)
{
	if (keep_inputs_) {
		last_input_us_ = std::max(last_input_us_ + 1, r_.now_ms() * 1000);
		inputs_[dev].push_back({last_input_us_, frame});
	}
	return r_.receive(dev, frame);
}

namespace {

std::string write_pcap(const std::string &path, const std::vector<std::pair<uint64_t, Bytes>> &frames)
{
	PcapWriter w;
	if (std::string err = w.open(path); !err.empty())
		return err;
	for (const auto &[t_us, frame] : frames)
		w.write(t_us, frame);
	w.close();
	return "";
}

// Emitted frames are stamped in ms; keep them increasing within a device.
std::vector<std::pair<uint64_t, Bytes>> stamped(const std::vector<EmittedFrame> &frames)
{
	std::vector<std::pair<uint64_t, Bytes>> out;
	uint64_t last = 0;
	for (const EmittedFrame &f : frames) {
		last = std::max(last + 1, f.t_ms * 1000);
		out.push_back({last, f.frame});
	}
	return out;
}

} // namespace

std::string Session::write_captures(const std::string &outdir)
{
	if (::mkdir(outdir.c_str(), 0755) != 0 && errno != EEXIST)
		return "cannot create " + outdir + ": " + std::strerror(errno);
	for (const Link &l : r_.topology().links) {
		std::string base = outdir + "/" + l.name;
		if (auto it = captures_.find(l.name); it != captures_.end()) {
			if (std::string err = write_pcap(base + ".pcap", stamped(it->second)); !err.empty())
				return err;
			written_.push_back(base + ".pcap");
		}
		if (auto it = inputs_.find(l.name); it != inputs_.end()) {
			if (std::string err = write_pcap(base + ".in.pcap", it->second); !err.empty())
				return err;
			written_.push_back(base + ".in.pcap");
		}
	}
	return "";
}

// ------------------------------------------------------------------ output

std::string Session::trace_text() const
{
	std::ostringstream s;
	char t[32];
	for (const TraceLine &tl : r_.trace()) {
		std::snprintf(t, sizeof(t), "%8.3f", static_cast<double>(tl.t_ms) / 1000.0);
		s << t << "  #" << tl.seq << ' ' << tl.dev << "  " << tl.summary << "\n           -> " << tl.path;
		if (!tl.reason.empty())
			s << " (" << tl.reason << ")";
		if (!tl.out_dev.empty())
			s << " out " << tl.out_dev;
		s << '\n';
		for (const std::string &n : tl.notes)
			s << "              " << n << '\n';
	}
	return s.str();
}

std::string Session::summary_text() const
{
	RouterStats st = r_.stats();
	std::ostringstream s;
	s << "packets " << st.received << ": " << st.fast << " fastpath, " << st.hw << " hardware, " << st.slow
	  << " slowpath, " << st.bridged << " bridged, " << st.local << " local, " << st.dropped << " dropped, "
	  << st.ignored << " ignored\n";
	s << "flows offloaded " << st.offloaded << ", to hardware " << st.hw_offloaded << '\n';
	s << "teardowns:";
	for (const auto &[why, n] : st.teardowns)
		s << ' ' << why << ' ' << n;
	s << (st.teardowns.empty() ? " none\n" : "\n");
	s << "slowpath reasons:";
	for (const auto &[why, n] : st.slow_reasons)
		s << ' ' << why << ' ' << n;
	s << (st.slow_reasons.empty() ? " none\n" : "\n");
	for (const ConversationResult &r : results_) {
		s << "conversation \"" << r.text << "\": " << r.sent << " sent, " << r.delivered << " delivered";
		if (r.bad_checksums)
			s << ", " << r.bad_checksums << " BAD CHECKSUMS";
		s << (r.problem.empty() ? "" : ", " + r.problem) << '\n';
	}
	for (const std::string &w : written_)
		s << "wrote " << w << '\n';
	return s.str();
}

namespace {

std::string q(const std::string &in)
{
	std::string o = "\"";
	for (unsigned char c : in) {
		if (c == '"' || c == '\\') {
			o += '\\';
			o += static_cast<char>(c);
		} else if (c == '\n') {
			o += "\\n";
		} else if (c == '\t') {
			o += "\\t";
		} else if (c < 0x20) {
			char b[8];
			std::snprintf(b, sizeof(b), "\\u%04x", c);
			o += b;
		} else {
			o += static_cast<char>(c);
		}
	}
	return o + "\"";
}

std::string lines_json(const std::string &text)
{
	std::string o = "[";
	std::istringstream in(text);
	bool first = true;
	for (std::string l; std::getline(in, l);) {
		o += (first ? "" : ",") + q(l);
		first = false;
	}
	return o + "]";
}

template <typename M> std::string map_json(const M &m)
{
	std::string o = "{";
	bool first = true;
	for (const auto &[k, v] : m) {
		o += (first ? "" : ",") + q(k) + ":" + std::to_string(v);
		first = false;
	}
	return o + "}";
}

} // namespace

std::string Session::json() const
{
	std::ostringstream s;
	s << "{\"packets\":[";
	bool first = true;
	for (const TraceLine &tl : r_.trace()) {
		s << (first ? "" : ",") << "\n{\"t_ms\":" << tl.t_ms << ",\"seq\":" << tl.seq << ",\"dev\":" << q(tl.dev)
		  << ",\"packet\":" << q(tl.summary) << ",\"path\":" << q(tl.path) << ",\"reason\":" << q(tl.reason)
		  << ",\"out\":" << q(tl.out_dev) << ",\"notes\":[";
		for (size_t i = 0; i < tl.notes.size(); i++)
			s << (i ? "," : "") << q(tl.notes[i]);
		s << "]}";
		first = false;
	}
	RouterStats st = r_.stats();
	s << "],\n\"summary\":{\"received\":" << st.received << ",\"fast\":" << st.fast << ",\"hw\":" << st.hw
	  << ",\"slow\":" << st.slow << ",\"bridged\":" << st.bridged << ",\"local\":" << st.local
	  << ",\"dropped\":" << st.dropped << ",\"ignored\":" << st.ignored << ",\"offloaded\":" << st.offloaded
	  << ",\"hw_offloaded\":" << st.hw_offloaded << ",\"teardowns\":" << map_json(st.teardowns)
	  << ",\"slow_reasons\":" << map_json(st.slow_reasons) << "},\n\"conversations\":[";
	for (size_t i = 0; i < results_.size(); i++) {
		const ConversationResult &r = results_[i];
		s << (i ? "," : "") << "{\"conversation\":" << q(r.text) << ",\"sent\":" << r.sent
		  << ",\"delivered\":" << r.delivered << ",\"bad_checksums\":" << r.bad_checksums
		  << ",\"problem\":" << q(r.problem) << "}";
	}
	s << "],\n\"snapshots\":[";
	for (size_t i = 0; i < snapshots_.size(); i++) {
		const Snapshot &sn = snapshots_[i];
		s << (i ? "," : "") << "\n{\"label\":" << q(sn.label) << ",\"t_ms\":" << sn.t_ms
		  << ",\"conntrack\":" << lines_json(sn.conntrack) << ",\"tc\":" << lines_json(sn.tc)
		  << ",\"flowtables\":" << lines_json(sn.flowtables) << "}";
	}
	s << "],\n\"counters\":" << lines_json(r_.counters_list()) << ",\n\"ruleset\":"
	  << lines_json(format_ruleset(r_.ruleset())) << ",\n\"captures\":[";
	for (size_t i = 0; i < written_.size(); i++)
		s << (i ? "," : "") << q(written_[i]);
	s << "]}\n";
	return s.str();
}

} // namespace flsim
