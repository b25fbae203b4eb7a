// SPDX-License-Identifier: GPL-2.0
#include "sim/net/pcap_io.h"

#include <pcap/pcap.h>

#include <cstdio>

namespace flsim {

namespace {

Diag pcap_error(const std::string &name, const std::string &msg) { return Diag{{name, 0, 0}, msg}; }

Parsed<std::vector<PcapFrame>> read_all(pcap_t *p, const std::string &name)
{
	if (pcap_datalink(p) != DLT_EN10MB) {
		std::string link = pcap_datalink_val_to_name(pcap_datalink(p)) ?: "unknown";
		pcap_close(p);
		return pcap_error(name, "not an Ethernet capture (link type " + link + ")");
	}
	std::vector<PcapFrame> frames;
	for (;;) {
		struct pcap_pkthdr *hdr;
		const u_char *data;
		int rc = pcap_next_ex(p, &hdr, &data);
		if (rc == PCAP_ERROR_BREAK)
			break;
		if (rc != 1) {
			std::string why = pcap_geterr(p);
			pcap_close(p);
			return pcap_error(name, "malformed or truncated capture after " + std::to_string(frames.size()) +
							" frames: " + why);
		}
		PcapFrame f;
		f.ts_us = static_cast<uint64_t>(hdr->ts.tv_sec) * 1000000u + static_cast<uint64_t>(hdr->ts.tv_usec);
		f.data.assign(data, data + hdr->caplen);
		frames.push_back(std::move(f));
	}
	pcap_close(p);
	return frames;
}

} // namespace

Parsed<std::vector<PcapFrame>> read_pcap(const std::string &path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = {};
	pcap_t *p = pcap_open_offline(path.c_str(), errbuf);
	if (!p)
		return pcap_error(path, std::string("cannot read the capture: ") + errbuf);
	return read_all(p, path);
}

Parsed<std::vector<PcapFrame>> read_pcap_bytes(const uint8_t *data, size_t size, const std::string &name)
{
	FILE *fp = fmemopen(const_cast<uint8_t *>(data), size, "rb");
	if (!fp)
		return pcap_error(name, "cannot read the capture: empty");
	char errbuf[PCAP_ERRBUF_SIZE] = {};
	pcap_t *p = pcap_fopen_offline(fp, errbuf); // owns fp from here on
	if (!p) {
		std::fclose(fp);
		return pcap_error(name, std::string("cannot read the capture: ") + errbuf);
	}
	return read_all(p, name);
}

struct PcapWriter::Impl {
	pcap_t *dead = nullptr;
	pcap_dumper_t *dumper = nullptr;
};

PcapWriter::PcapWriter() = default;

PcapWriter::~PcapWriter() { close(); }

std::string PcapWriter::open(const std::string &path)
{
	close();
	impl_ = std::make_unique<Impl>();
	impl_->dead = pcap_open_dead(DLT_EN10MB, 262144);
	if (!impl_->dead)
		return "cannot create a capture";
	impl_->dumper = pcap_dump_open(impl_->dead, path.c_str());
	if (!impl_->dumper) {
		std::string why = pcap_geterr(impl_->dead);
		pcap_close(impl_->dead);
		impl_.reset();
		return why;
	}
	return "";
}

void PcapWriter::write(uint64_t ts_us, const std::vector<uint8_t> &frame)
{
	if (!impl_ || !impl_->dumper)
		return;
	struct pcap_pkthdr hdr = {};
	hdr.ts.tv_sec = static_cast<time_t>(ts_us / 1000000u);
	hdr.ts.tv_usec = static_cast<suseconds_t>(ts_us % 1000000u);
	hdr.caplen = hdr.len = static_cast<bpf_u_int32>(frame.size());
	pcap_dump(reinterpret_cast<u_char *>(impl_->dumper), &hdr, frame.data());
	frames_++;
}

void PcapWriter::close()
{
	if (!impl_)
		return;
	if (impl_->dumper)
		pcap_dump_close(impl_->dumper);
	if (impl_->dead)
		pcap_close(impl_->dead);
	impl_.reset();
}

} // namespace flsim
