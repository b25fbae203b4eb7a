// SPDX-License-Identifier: GPL-2.0
/*
 * The ports: a pair of Ethernet devices joined by a "wire", created with
 * `ip link add A type ftnic peer name B` (the peer attribute is veth's, so
 * the ends can be created in, or moved to, different namespaces). What one
 * end transmits arrives at the other end's hardware: when the port is bound
 * to a flowtable and a rule matches, the rule's actions run and the frame
 * leaves through the redirect port's wire without touching either stack;
 * otherwise it goes up the stack as on any NIC.
 *
 * The wire carries real frames: GSO super-packets are segmented, partial
 * checksums completed and hardware-accelerated VLAN tags put in the payload,
 * so the hardware sees what a real NIC would.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>
#include <net/rtnetlink.h>
#include <uapi/linux/veth.h>

#include "offload/ftnic/ftnic.h"

/* A frame may cross at most this many ftnic hardware hops in one transmit. */
#define FTNIC_MAX_HOPS 4
static DEFINE_PER_CPU(unsigned int, ftnic_hops);
static atomic_t ftnic_next_id = ATOMIC_INIT(0);

static const struct net_device_ops ftnic_netdev_ops;

bool ftnic_is_port(const struct net_device *dev)
{
	return dev && dev->netdev_ops == &ftnic_netdev_ops;
}

/* ------------------------------------------------------------------ datapath */

static void ftnic_hw_rx(struct ftnic_port *port, struct sk_buff *skb);

/* Up the stack, as any NIC's receive path. */
static void ftnic_stack_rx(struct ftnic_port *port, struct sk_buff *skb)
{
	skb->protocol = eth_type_trans(skb, port->dev);
	if (netif_rx(skb) == NET_RX_DROP)
		atomic64_inc(&port->rx_dropped);
}

/* What @from puts on the wire arrives at @to's hardware. */
static void ftnic_wire(struct ftnic_port *from, struct net_device *to, struct sk_buff *skb)
{
	struct ftnic_port *peer = netdev_priv(to);
	unsigned int len = skb->len;

	atomic64_inc(&from->tx_packets);
	atomic64_add(len, &from->tx_bytes);
	if (!is_skb_forwardable(to, skb) || !netif_running(to)) {
		atomic64_inc(&peer->rx_dropped);
		kfree_skb(skb);
		return;
	}
	skb_scrub_packet(skb, !net_eq(dev_net(from->dev), dev_net(to)));
	skb->ip_summed = CHECKSUM_NONE; /* the receiving end has verified nothing */
	atomic64_inc(&peer->rx_packets);
	atomic64_add(len, &peer->rx_bytes);
	ftnic_hw_rx(peer, skb);
}

/*
 * A wire carries real frames: segments, not GSO super-packets; complete
 * checksums; VLAN tags in the frame. The port offers none of those offloads,
 * so the kernel's own transmit validation does exactly that (a no-op for what
 * the stack has already validated).
 */
static void ftnic_wire_send(struct ftnic_port *from, struct net_device *to, struct sk_buff *skb)
{
	struct sk_buff *seg, *next;
	bool again = false;

	skb = validate_xmit_skb_list(skb, from->dev, &again);
	if (!skb) {
		atomic64_inc(&from->tx_dropped);
		return;
	}
	skb_list_walk_safe(skb, seg, next) {
		skb_mark_not_on_list(seg);
		ftnic_wire(from, to, seg);
	}
}

/* Out of @egress's wire, straight from the hardware. Under RCU. */
static void ftnic_hw_tx(struct ftnic_port *egress, struct sk_buff *skb)
{
	struct net_device *peer = rcu_dereference(egress->peer);

	if (!peer) {
		atomic64_inc(&egress->tx_dropped);
		kfree_skb(skb);
		return;
	}
	ftnic_wire(egress, peer, skb);
}

static u32 ftnic_engine_opts(void)
{
	return (READ_ONCE(ftnic_knobs.dec_ttl) ? FTX_DEC_TTL : 0) |
	       (READ_ONCE(ftnic_knobs.fix_csum) ? FTX_FIX_CSUM : 0);
}

static enum ftnic_punt ftnic_punt_of(enum ftx_result r)
{
	switch (r) {
	case FTX_PUNT_TTL:
		return FTNIC_PUNT_TTL;
	case FTX_PUNT_TAGS:
		return FTNIC_PUNT_TAGS;
	case FTX_PUNT_NO_EGRESS:
		return FTNIC_PUNT_NO_EGRESS;
	default:
		return FTNIC_PUNT_ACTION;
	}
}

/* The redirect device, if the hardware can send there: an ftnic port that is up. */
static struct net_device *ftnic_egress(const struct ftnic_port *port, int ifindex)
{
	struct net_device *dev = dev_get_by_index_rcu(dev_net(port->dev), ifindex);

	if (!ftnic_is_port(dev) || !netif_running(dev) || !netif_carrier_ok(dev))
		return NULL;
	return dev;
}

/* The frame now starts at @f->data and is @f->len long. */
static void ftnic_frame_resize(struct sk_buff *skb, const struct ftx_frame *f)
{
	if (f->data < skb->data)
		__skb_push(skb, skb->data - f->data);
	else
		__skb_pull(skb, f->data - skb->data);
	__skb_trim(skb, f->len);
}

/*
 * Carry out @r on the frame. Everything that can refuse it is decided before
 * the frame is written, so a punted frame goes up the stack as it arrived.
 * Returns -1 when the frame was forwarded, else the punt reason.
 */
static int ftnic_hw_execute(struct ftnic_port *port, struct ftnic_rule *r, struct sk_buff *skb,
			    const struct ftx_layout *lay)
{
	u32 opts = ftnic_engine_opts(), bytes = lay->end - lay->l3;
	struct net_device *egress;
	unsigned int *hops;
	struct ftx_plan plan;
	struct ftx_frame f;
	enum ftx_result res;

	res = ftx_prepare(&r->rule, skb->data, lay, opts, &plan);
	if (res != FTX_OK)
		return ftnic_punt_of(res);
	egress = ftnic_egress(port, plan.egress);
	if (!egress)
		return FTNIC_PUNT_EGRESS;
	if (plan.mtu_len > READ_ONCE(egress->mtu))
		return FTNIC_PUNT_MTU;
	hops = this_cpu_ptr(&ftnic_hops);
	if (*hops >= FTNIC_MAX_HOPS)
		return FTNIC_PUNT_LOOP;
	if (skb_cow(skb, plan.headroom))
		return FTNIC_PUNT_NOMEM;
	f.data = skb->data;
	f.len = skb->len;
	f.headroom = skb_headroom(skb);
	ftx_apply(&r->rule, &f, lay, opts);
	ftnic_frame_resize(skb, &f);
	ftnic_rule_hit(r, bytes);
	ftnic_count(port, hits);
	ftnic_count_add(port, hit_bytes, bytes);
	(*hops)++;
	ftnic_hw_tx(netdev_priv(egress), skb);
	(*hops)--;
	return -1;
}

/* The hardware's receive: true when a rule forwarded the frame. */
static bool ftnic_hw_forward(struct ftnic_port *port, struct sk_buff *skb)
{
	struct ftx_layout lay;
	struct ftnic_rule *r;
	int punt;

	if (skb_linearize(skb)) {
		ftnic_count(port, punts[FTNIC_PUNT_NOMEM]);
		return false;
	}
	if (ftx_parse(skb->data, skb->len, &lay) != FTX_OK) {
		ftnic_count(port, misses);
		return false;
	}
	r = ftnic_rule_lookup(port, skb->data, &lay);
	if (!r) {
		ftnic_count(port, misses);
		return false;
	}
	punt = ftnic_hw_execute(port, r, skb, &lay);
	if (punt < 0)
		return true;
	ftnic_count(port, punts[punt]);
	return false;
}

static void ftnic_hw_rx(struct ftnic_port *port, struct sk_buff *skb)
{
	if (atomic_read(&port->nbindings) && ftnic_hw_forward(port, skb))
		return;
	ftnic_stack_rx(port, skb);
}

static netdev_tx_t ftnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer;

	skb_tx_timestamp(skb);
	rcu_read_lock();
	peer = rcu_dereference(port->peer);
	if (likely(peer)) {
		ftnic_wire_send(port, peer, skb);
	} else {
		atomic64_inc(&port->tx_dropped);
		kfree_skb(skb);
	}
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

/* ------------------------------------------------------------------ device */

static int ftnic_open(struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	if (!peer)
		return -ENOTCONN;
	if (peer->flags & IFF_UP) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int ftnic_close(struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	return 0;
}

static int ftnic_init(struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);

	port->dev = dev;
	INIT_LIST_HEAD(&port->bindings);
	port->id = atomic_inc_return(&ftnic_next_id);
	mutex_lock(&ftnic_lock);
	port->profile = ftnic_knobs.default_profile;
	list_add_tail(&port->node, &ftnic_ports);
	mutex_unlock(&ftnic_lock);
	ftnic_debugfs_port_add(port);
	return 0;
}

static void ftnic_uninit(struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);

	/* Readers of the port's files take ftnic_lock: remove them without it. */
	ftnic_debugfs_port_remove(port);
	ftnic_port_detach(port);
	mutex_lock(&ftnic_lock);
	list_del(&port->node);
	mutex_unlock(&ftnic_lock);
}

static void ftnic_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *s)
{
	struct ftnic_port *port = netdev_priv(dev);

	s->rx_packets = atomic64_read(&port->rx_packets);
	s->rx_bytes = atomic64_read(&port->rx_bytes);
	s->rx_dropped = atomic64_read(&port->rx_dropped);
	s->tx_packets = atomic64_read(&port->tx_packets);
	s->tx_bytes = atomic64_read(&port->tx_bytes);
	s->tx_dropped = atomic64_read(&port->tx_dropped);
}

static int ftnic_setup_tc(struct net_device *dev, enum tc_setup_type type, void *type_data)
{
	switch (type) {
	case TC_SETUP_FT:
		return ftnic_setup_ft(netdev_priv(dev), type_data);
	default:
		return -EOPNOTSUPP;
	}
}

static int ftnic_get_iflink(const struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(port->peer);
	iflink = peer ? peer->ifindex : 0;
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops ftnic_netdev_ops = {
	.ndo_init = ftnic_init,
	.ndo_uninit = ftnic_uninit,
	.ndo_open = ftnic_open,
	.ndo_stop = ftnic_close,
	.ndo_start_xmit = ftnic_xmit,
	.ndo_get_stats64 = ftnic_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
	.ndo_setup_tc = ftnic_setup_tc,
	.ndo_get_iflink = ftnic_get_iflink,
};

static void ftnic_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	strscpy(info->driver, FTNIC_KIND, sizeof(info->driver));
}

static const struct ethtool_ops ftnic_ethtool_ops = {
	.get_drvinfo = ftnic_get_drvinfo,
	.get_link = ethtool_op_get_link,
};

/*
 * No checksum, segmentation or VLAN offloads: the stack hands the port
 * finished frames, which is what the hardware must see. Only hw-tc-offload,
 * which `ethtool -K DEV hw-tc-offload off` can take away.
 */
static void ftnic_setup(struct net_device *dev)
{
	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE | IFF_NO_QUEUE;
	dev->netdev_ops = &ftnic_netdev_ops;
	dev->ethtool_ops = &ftnic_ethtool_ops;
	dev->hw_features = NETIF_F_HW_TC;
	dev->features |= NETIF_F_HW_TC;
	dev->needs_free_netdev = true;
	dev->max_mtu = ETH_MAX_MTU;
}

/* ------------------------------------------------------------------ rtnetlink */

static int ftnic_validate(struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	if (!tb[IFLA_ADDRESS])
		return 0;
	if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN)
		return -EINVAL;
	if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS])))
		return -EADDRNOTAVAIL;
	return 0;
}

static void ftnic_name(char *name, struct nlattr *attr)
{
	if (attr)
		nla_strscpy(name, attr, IFNAMSIZ);
	else
		snprintf(name, IFNAMSIZ, FTNIC_KIND "%%d");
}

/* The peer end: created first, in the namespace its attributes ask for. */
static struct net_device *ftnic_create_peer(struct net *src_net, struct net_device *dev,
					    struct nlattr *tb[], struct ifinfomsg *ifmp,
					    struct netlink_ext_ack *extack)
{
	char ifname[IFNAMSIZ];
	struct net_device *peer;
	struct net *net;
	int err;

	ftnic_name(ifname, ifmp ? tb[IFLA_IFNAME] : NULL);
	net = rtnl_link_get_net(src_net, tb);
	if (IS_ERR(net))
		return ERR_CAST(net);
	peer = rtnl_create_link(net, ifname, ifmp && tb[IFLA_IFNAME] ? NET_NAME_USER : NET_NAME_ENUM,
				&ftnic_link_ops, tb, extack);
	if (IS_ERR(peer))
		goto put_net;
	if (!ifmp || !tb[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	if (ifmp && dev->ifindex)
		peer->ifindex = ifmp->ifi_index;
	err = register_netdevice(peer);
	if (err) {
		free_netdev(peer);
		peer = ERR_PTR(err);
		goto put_net;
	}
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err) {
		unregister_netdevice(peer);
		peer = ERR_PTR(err);
	}
put_net:
	put_net(net);
	return peer;
}

static int ftnic_newlink(struct net *src_net, struct net_device *dev, struct nlattr *tb[],
			 struct nlattr *data[], struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp = tb;
	struct ifinfomsg *ifmp = NULL;
	struct net_device *peer;
	int err;

	if (data && data[VETH_INFO_PEER]) {
		ifmp = nla_data(data[VETH_INFO_PEER]);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, data[VETH_INFO_PEER], extack);
		if (err < 0)
			return err;
		err = ftnic_validate(peer_tb, NULL, extack);
		if (err < 0)
			return err;
		tbp = peer_tb;
	}
	peer = ftnic_create_peer(src_net, dev, tbp, ifmp, extack);
	if (IS_ERR(peer))
		return PTR_ERR(peer);
	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	/* The peer may have taken the name this end's template would give. */
	ftnic_name(dev->name, tb[IFLA_IFNAME]);
	err = register_netdevice(dev);
	if (err)
		goto unregister_peer;
	netif_carrier_off(dev);
	rcu_assign_pointer(((struct ftnic_port *)netdev_priv(dev))->peer, peer);
	rcu_assign_pointer(((struct ftnic_port *)netdev_priv(peer))->peer, dev);
	return 0;

unregister_peer:
	unregister_netdevice(peer);
	return err;
}

static void ftnic_dellink(struct net_device *dev, struct list_head *head)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	/* Both ends go: a wire has two. */
	RCU_INIT_POINTER(port->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		RCU_INIT_POINTER(((struct ftnic_port *)netdev_priv(peer))->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *ftnic_get_link_net(const struct net_device *dev)
{
	struct ftnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static const struct nla_policy ftnic_policy[VETH_INFO_MAX + 1] = {
	[VETH_INFO_PEER] = { .len = sizeof(struct ifinfomsg) },
};

struct rtnl_link_ops ftnic_link_ops = {
	.kind = FTNIC_KIND,
	.priv_size = sizeof(struct ftnic_port),
	.setup = ftnic_setup,
	.validate = ftnic_validate,
	.newlink = ftnic_newlink,
	.dellink = ftnic_dellink,
	.policy = ftnic_policy,
	.maxtype = VETH_INFO_MAX,
	.get_link_net = ftnic_get_link_net,
};
