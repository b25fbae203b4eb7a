// SPDX-License-Identifier: GPL-2.0
//
// Ethernet frames in and out of pcap files, through libpcap.
#ifndef FLOWLANE_SIM_PCAP_IO_H
#define FLOWLANE_SIM_PCAP_IO_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/diag.h"

namespace flsim {

struct PcapFrame {
	uint64_t ts_us = 0;
	std::vector<uint8_t> data;
};

// Read every frame of an Ethernet (DLT_EN10MB) capture. Malformed or
// truncated files and other link types are errors, never crashes.
Parsed<std::vector<PcapFrame>> read_pcap(const std::string &path);
// The same from bytes in memory (@name for diagnostics).
Parsed<std::vector<PcapFrame>> read_pcap_bytes(const uint8_t *data, size_t size, const std::string &name);

// Writes an Ethernet capture that Wireshark and tcpdump read.
class PcapWriter {
public:
	PcapWriter();
	~PcapWriter();
	// "" on success, else why not.
	std::string open(const std::string &path);
	void write(uint64_t ts_us, const std::vector<uint8_t> &frame);
	void close();
	size_t frames() const { return frames_; }

private:
	struct Impl;
	std::unique_ptr<Impl> impl_;
	size_t frames_ = 0;
};

} // namespace flsim

#endif // FLOWLANE_SIM_PCAP_IO_H
