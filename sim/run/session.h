// SPDX-License-Identifier: GPL-2.0
//
// One simulator run: traffic (pcap replay per ingress device and generated
// TCP/UDP conversations between hosts behind the router's devices) through a
// Router on the virtual clock, with the views taken along the way and the
// output captures per egress device.
#ifndef FLOWLANE_SIM_SESSION_H
#define FLOWLANE_SIM_SESSION_H

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/router/router.h"

namespace flsim {

// A generated conversation, as written on the command line:
//   tcp 10.0.1.2:40000 10.0.2.2:80 [packets N] [size BYTES] [gap MS] [close fin|rst|none]
//   udp [2001:db8:1::2]:5000 [2001:db8:2::2]:53 packets 3
// The server is the address the client dials; it answers from wherever the
// router delivers the packets (after DNAT), to whatever source it sees.
struct Conversation {
	uint8_t proto = 6;
	IpAddr client, server;
	uint16_t cport = 0, sport = 0;
	unsigned packets = 4;  // data exchanges (one each way)
	size_t size = 100;     // payload bytes per data packet
	uint32_t gap_ms = 10;  // virtual time between packets
	enum Close { Fin, Rst, None } close = Fin;
	std::string text;
};

// @where names the source in diagnostics ("-c #2", a file...).
Parsed<Conversation> parse_conversation(const std::string &spec, const std::string &where);

struct SessionOptions {
	std::vector<std::pair<std::string, std::string>> pcaps; // ingress device, capture path
	std::vector<Conversation> conversations;
	uint32_t idle_s = 35;   // afterwards, let the clock run this long (expiry, GC)
	std::string outdir;     // "": no captures written
	bool inputs = false;    // with outdir: also what arrived, OUTDIR/DEV.in.pcap
	bool progress = false;  // a progress line on stderr for long replays
};

struct Snapshot {
	std::string label;
	uint64_t t_ms = 0;
	std::string conntrack, tc, flowtables;
};

struct ConversationResult {
	std::string text;
	unsigned sent = 0, delivered = 0, bad_checksums = 0;
	std::string problem; // why the conversation stopped or went wrong; "" when fine
};

class Session {
public:
	explicit Session(Router &r) : r_(r) {}
	// "" on success, else the error (unreadable capture, unknown device, ...).
	std::string run(const SessionOptions &o);

	const std::vector<Snapshot> &snapshots() const { return snapshots_; }
	const std::vector<ConversationResult> &results() const { return results_; }
	// Frames that left the router, by physical device.
	const std::map<std::string, std::vector<EmittedFrame>> &captures() const { return captures_; }
	const std::vector<std::string> &written() const { return written_; }

	std::string trace_text() const;
	std::string summary_text() const;
	std::string json() const;

	struct Host;
	struct Run;

private:
	std::string replay(const SessionOptions &o);
	std::string converse(const SessionOptions &o);
	bool step(Run &run, int phase);
	void deliver(const std::vector<EmittedFrame> &frames);
	// Hand @frame to the router on @dev (kept for DEV.in.pcap when asked).
	std::vector<EmittedFrame> feed(const std::string &dev, const Bytes &frame);
	void snapshot(const std::string &label);
	void idle(uint32_t seconds);
	std::string write_captures(const std::string &outdir);

	Router &r_;
	std::vector<Snapshot> snapshots_;
	std::vector<ConversationResult> results_;
	std::map<std::string, std::vector<EmittedFrame>> captures_;
	// SessionOptions::inputs: per device, what arrived, stamped in µs that
	// increase across all devices, so a merge by time restores the order.
	std::map<std::string, std::vector<std::pair<uint64_t, Bytes>>> inputs_;
	bool keep_inputs_ = false;
	uint64_t last_input_us_ = 0;
	std::vector<std::string> written_;
};

} // namespace flsim

#endif // FLOWLANE_SIM_SESSION_H
