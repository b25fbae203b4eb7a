// SPDX-License-Identifier: GPL-2.0
#include "sim/run/default_scenario.h"

namespace flsim {

const ScenarioText &default_scenario()
{
	static const ScenarioText s = {
		"the flowtables article's router: client -- eth0 [router] eth1 -- server",
		R"(# The article's ruleset (Flowtables - Part 1), offloading UDP as well as TCP.
table ip filter {
	flowtable f {			# (1)
		hook ingress priority 0; devices = { eth0, eth1 };
	}
	chain y {
		type filter hook forward priority 0; policy accept;
		ip protocol { tcp, udp } flow add @f	# (2)
		counter				# (3)
	}
}
)",
		R"(# client 10.0.1.2 -- eth0 [router] eth1 -- server 10.0.2.2
ip link add eth0 type veth peer name client
ip link add eth1 type veth peer name server
ip link set eth0 up
ip link set eth1 up
ip addr add 10.0.1.1/24 dev eth0
ip addr add 10.0.2.1/24 dev eth1
)",
		{"tcp 10.0.1.2:47562 10.0.2.2:80 packets 4 size 500", "udp 10.0.1.2:5353 10.0.2.2:53 packets 3 size 60"},
	};
	return s;
}

} // namespace flsim
