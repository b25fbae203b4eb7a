// SPDX-License-Identifier: GPL-2.0
/*
 * iproute2 plugin for the ftnic link type, so that
 *
 *   ip link add A type ftnic peer name B [netns NS] [address MAC] ...
 *
 * works like it does for veth. `ip` looks for link_<kind>.so in $IP_LIB_DIR
 * (default /usr/lib/ip) and for the symbol <kind>_link_util in it. The peer's
 * arguments are parsed by ip's own iplink_parse() (ip exports its symbols to
 * plugins) into a VETH_INFO_PEER attribute led by the peer's ifinfomsg, which
 * is what ftnic.ko reads (the same attribute as veth's).
 *
 * Only the leading fields of struct link_util matter to ip for creating links;
 * the rest stay zero. Build: cc -shared -fPIC -o link_ftnic.so link_ftnic.c
 */
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

struct link_util {
	struct link_util *next;
	const char *id;
	int maxattr;
	int (*parse_opt)(struct link_util *lu, int argc, char **argv, struct nlmsghdr *n);
	void *unused[8]; /* print_opt, print_xstats, print_help, ...: not provided */
};

/*
 * ip's parser for link arguments (ip/iplink.c). Newer iproute2 takes a fifth
 * argument, where it returns the fd of a `netns` given to the peer; older ones
 * ignore it, and a surplus argument is harmless in the calling convention.
 */
extern int iplink_parse(int argc, char **argv, void *req, char **type, int *netns_fd);

static void ftnic_usage(void)
{
	fprintf(stderr, "Usage: ip link add NAME type ftnic [peer [name] PEER [netns NS] [address MAC] ...]\n");
}

static struct rtattr *ftnic_tail(struct nlmsghdr *n)
{
	return (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
}

static void ftnic_add_u32(struct nlmsghdr *n, unsigned short type, unsigned int value)
{
	struct rtattr *rta = ftnic_tail(n);

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(sizeof(value));
	memcpy(RTA_DATA(rta), &value, sizeof(value));
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

static int ftnic_parse_opt(struct link_util *lu, int argc, char **argv, struct nlmsghdr *n)
{
	struct ifinfomsg *ifm = NLMSG_DATA(n), saved = *ifm, *peer;
	struct rtattr *nest;
	char *type = NULL;
	int netns_fd = -1, used;

	if (argc == 0)
		return 0; /* a peer named by the kernel (ftnic%d) */
	if (strcmp(argv[0], "peer")) {
		ftnic_usage();
		return -1;
	}
	/* The peer's attributes nest behind its own ifinfomsg. */
	nest = ftnic_tail(n);
	nest->rta_type = VETH_INFO_PEER;
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_LENGTH(sizeof(*peer));
	peer = RTA_DATA(nest);
	memset(peer, 0, sizeof(*peer));
	/* iplink_parse() writes flags and index into the request's header: borrow it. */
	ifm->ifi_flags = ifm->ifi_change = 0;
	ifm->ifi_index = 0;
	used = iplink_parse(argc - 1, argv + 1, n, &type, &netns_fd);
	if (used < 0)
		return used;
	if (type) {
		fprintf(stderr, "ftnic: the peer has the same type; drop \"type\"\n");
		return -1;
	}
	if (netns_fd >= 0)
		ftnic_add_u32(n, IFLA_NET_NS_FD, netns_fd);
	peer->ifi_flags = ifm->ifi_flags;
	peer->ifi_change = ifm->ifi_change;
	peer->ifi_index = ifm->ifi_index;
	ifm->ifi_flags = saved.ifi_flags;
	ifm->ifi_change = saved.ifi_change;
	ifm->ifi_index = saved.ifi_index;
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
	return argc - 1 - used; /* anything left over is an error for ip */
}

struct link_util ftnic_link_util = {
	.id = "ftnic",
	.maxattr = VETH_INFO_MAX,
	.parse_opt = ftnic_parse_opt,
};
