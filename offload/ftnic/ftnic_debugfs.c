// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/ftnic/: what the flowtables asked of the NIC.
 *
 *   rules        every installed rule, decoded, one per line, sorted, without
 *                cookies or counters: diff it between two runs
 *   rules_stats  the same lines with the rule's counters and cookie
 *   ports        one line per port: identity, profile, counters
 *   totals       the counters summed over every port the module has had
 *   knobs        default_profile, dec_ttl, fix_csum, mlx5_prio_range,
 *                capacity, fail_nth, refuse_all, delay_ms
 *   port<N>/profile  a port's profile (writable while it is not bound)
 *
 * Lines are `key value` pairs after a leading word, so that scripts can pick
 * fields by name; new keys are appended, existing ones never change.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "offload/ftnic/ftnic.h"

static struct dentry *ftnic_dir;

#define FTNIC_LINE 2048

/* ------------------------------------------------------------------ rules */

struct ftnic_text {
	char *buf;
	size_t len, used;
};

static __printf(2, 3) void ftnic_put(struct ftnic_text *t, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	t->used += vscnprintf(t->buf + t->used, t->len - t->used, fmt, args);
	va_end(args);
}

/* A device by name in the rule owner's namespace: ifindexes differ between runs. */
static void ftnic_put_dev(struct ftnic_text *t, const struct ftnic_rule *r, int ifindex)
{
	struct net_device *dev;

	rcu_read_lock();
	dev = dev_get_by_index_rcu(dev_net(r->port->dev), ifindex);
	if (dev)
		ftnic_put(t, "%s", dev->name);
	else
		ftnic_put(t, "ifindex:%d", ifindex);
	rcu_read_unlock();
}

static bool ftnic_full(const u8 *mask, size_t n)
{
	return !memchr_inv(mask, 0xff, n);
}

static void ftnic_put_addrs(struct ftnic_text *t, const struct fl_rule_match *m)
{
	size_t alen = (m->keys & FL_MATCH_IPV4) ? 4 : 16;

	if (alen == 4)
		ftnic_put(t, " src=%pI4", m->src.b);
	else
		ftnic_put(t, " src=%pI6c", m->src.b);
	if (!ftnic_full(m->src_mask.b, alen))
		ftnic_put(t, "/%*phN", (int)alen, m->src_mask.b);
	if (alen == 4)
		ftnic_put(t, " dst=%pI4", m->dst.b);
	else
		ftnic_put(t, " dst=%pI6c", m->dst.b);
	if (!ftnic_full(m->dst_mask.b, alen))
		ftnic_put(t, "/%*phN", (int)alen, m->dst_mask.b);
}

static void ftnic_put_tag(struct ftnic_text *t, const char *name, const struct fl_match_vlan *v)
{
	ftnic_put(t, " %s=%u/0x%03x,tpid=0x%04x", name, v->id, v->id_mask, v->tpid);
}

static void ftnic_put_match(struct ftnic_text *t, const struct ftnic_rule *r)
{
	const struct fl_rule_match *m = &r->rule.match;

	if (m->keys & FL_MATCH_INGRESS) {
		ftnic_put(t, " in=");
		ftnic_put_dev(t, r, m->ingress_ifindex);
	}
	if (m->keys & FL_MATCH_BASIC)
		ftnic_put(t, " eth_type=0x%04x/0x%04x ip_proto=%u/0x%02x", m->n_proto,
			  m->n_proto_mask, m->ip_proto, m->ip_proto_mask);
	if (m->keys & (FL_MATCH_IPV4 | FL_MATCH_IPV6))
		ftnic_put_addrs(t, m);
	if (m->keys & FL_MATCH_PORTS)
		ftnic_put(t, " sport=%u/0x%04x dport=%u/0x%04x", ntohs(m->sport), ntohs(m->sport_mask),
			  ntohs(m->dport), ntohs(m->dport_mask));
	if (m->keys & FL_MATCH_TCP_FLAGS)
		ftnic_put(t, " tcp_flags=0x%02x/0x%02x", m->tcp_flags, m->tcp_flags_mask);
	if (m->keys & FL_MATCH_VLAN)
		ftnic_put_tag(t, "vlan", &m->vlan);
	if (m->keys & FL_MATCH_CVLAN)
		ftnic_put_tag(t, "cvlan", &m->cvlan);
	if (m->keys & FL_MATCH_PPPOE)
		ftnic_put(t, " pppoe=%u", m->pppoe_sid);
}

static const char *ftnic_htype_name(u8 htype)
{
	static const char *const names[] = {
		[FL_HDR_ETH] = "eth", [FL_HDR_IPV4] = "ip4", [FL_HDR_IPV6] = "ip6",
		[FL_HDR_TCP] = "tcp", [FL_HDR_UDP] = "udp",
	};

	return htype < ARRAY_SIZE(names) && names[htype] ? names[htype] : "?";
}

static void ftnic_put_csum(struct ftnic_text *t, u32 flags)
{
	static const struct { u32 flag; const char *name; } names[] = {
		{ FL_CSUM_IPV4HDR, "ip4hdr" }, { FL_CSUM_TCP, "tcp" }, { FL_CSUM_UDP, "udp" },
	};
	const char *sep = "";
	unsigned int i;

	ftnic_put(t, " csum(");
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(flags & names[i].flag))
			continue;
		ftnic_put(t, "%s%s", sep, names[i].name);
		sep = ",";
	}
	ftnic_put(t, ")");
}

static void ftnic_put_action(struct ftnic_text *t, const struct ftnic_rule *r,
			     const struct fl_action *a)
{
	switch (a->id) {
	case FL_ACT_MANGLE:
		ftnic_put(t, " mangle(%s+%u,mask=%08x,val=%08x)", ftnic_htype_name(a->htype),
			  a->mangle.offset, a->mangle.mask, a->mangle.val);
		return;
	case FL_ACT_CSUM:
		ftnic_put_csum(t, a->csum_flags);
		return;
	case FL_ACT_DEC_TTL:
		ftnic_put(t, " dec_ttl");
		return;
	case FL_ACT_VLAN_POP:
		ftnic_put(t, " vlan_pop");
		return;
	case FL_ACT_VLAN_PUSH:
		ftnic_put(t, " vlan_push(%u,0x%04x)", a->vlan.id, a->vlan.proto);
		return;
	case FL_ACT_PPPOE_POP:
		ftnic_put(t, " pppoe_pop");
		return;
	case FL_ACT_PPPOE_PUSH:
		ftnic_put(t, " pppoe_push(%u)", a->pppoe.sid);
		return;
	case FL_ACT_REDIRECT:
		ftnic_put(t, " redirect(");
		ftnic_put_dev(t, r, a->redirect.ifindex);
		ftnic_put(t, ")");
		return;
	default:
		ftnic_put(t, " action%u", a->id);
		return;
	}
}

/* The canonical line of a rule: nothing in it depends on cookies, ifindexes or timing. */
static void ftnic_put_rule(struct ftnic_text *t, const struct ftnic_rule *r)
{
	u32 i;

	ftnic_put(t, "%s prio %u chain %u |", netdev_name(r->port->dev), r->prio, r->chain);
	ftnic_put_match(t, r);
	ftnic_put(t, " |");
	for (i = 0; i < r->rule.num_actions; i++)
		ftnic_put_action(t, r, &r->rule.actions[i]);
}

struct ftnic_lines {
	char **lines;
	unsigned int n, cap;
	bool stats;
};

static void ftnic_collect(struct ftnic_rule *r, void *arg)
{
	struct ftnic_lines *l = arg;
	struct ftnic_text t;

	if (l->n == l->cap)
		return;
	t.buf = kmalloc(FTNIC_LINE, GFP_KERNEL);
	if (!t.buf)
		return;
	t.len = FTNIC_LINE;
	t.used = 0;
	ftnic_put_rule(&t, r);
	if (l->stats)
		ftnic_put(&t, " | packets %lld bytes %lld idle_ms %u dup_replaces %u cookie 0x%lx",
			  atomic64_read(&r->packets), atomic64_read(&r->bytes),
			  jiffies_to_msecs(jiffies - READ_ONCE(r->lastused)), r->dup_replaces,
			  r->cookie);
	l->lines[l->n++] = t.buf;
}

static int ftnic_cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ftnic_show_rules(struct seq_file *seq, bool stats)
{
	struct ftnic_lines l = { .stats = stats };
	unsigned int i;

	mutex_lock(&ftnic_lock);
	l.cap = ftnic_rule_count;
	l.lines = kvcalloc(max(l.cap, 1u), sizeof(*l.lines), GFP_KERNEL);
	if (l.lines)
		ftnic_rules_walk(ftnic_collect, &l);
	mutex_unlock(&ftnic_lock);
	if (!l.lines)
		return -ENOMEM;
	sort(l.lines, l.n, sizeof(*l.lines), ftnic_cmp_lines, NULL);
	for (i = 0; i < l.n; i++) {
		seq_printf(seq, "%s\n", l.lines[i]);
		kfree(l.lines[i]);
	}
	kvfree(l.lines);
	return 0;
}

static int ftnic_rules_show(struct seq_file *seq, void *v)
{
	return ftnic_show_rules(seq, false);
}
DEFINE_SHOW_ATTRIBUTE(ftnic_rules);

static int ftnic_rules_stats_show(struct seq_file *seq, void *v)
{
	return ftnic_show_rules(seq, true);
}
DEFINE_SHOW_ATTRIBUTE(ftnic_rules_stats);

/* ------------------------------------------------------------------ counters */

static void ftnic_show_counters(struct seq_file *seq, const struct ftnic_counters *c)
{
	s64 refused = 0, punts = 0;
	unsigned int i;

	for (i = 0; i < FTNIC_REFUSALS; i++)
		if (i != FTNIC_REFUSE_FOREIGN)
			refused += atomic64_read(&c->refused[i]);
	for (i = 0; i < FTNIC_PUNTS; i++)
		punts += atomic64_read(&c->punts[i]);
	seq_printf(seq, " binds %lld unbinds %lld bind_refused %lld",
		   atomic64_read(&c->binds), atomic64_read(&c->unbinds),
		   atomic64_read(&c->bind_refused));
	seq_printf(seq, " replace_ok %lld replace_dup %lld replace_shared %lld refused %lld",
		   atomic64_read(&c->replace_ok), atomic64_read(&c->replace_dup),
		   atomic64_read(&c->replace_shared), refused);
	for (i = 0; i < FTNIC_REFUSALS; i++)
		seq_printf(seq, " refused_%s %lld", ftnic_refusal_names[i],
			   atomic64_read(&c->refused[i]));
	seq_printf(seq, " destroy_ok %lld destroy_other %lld destroy_enoent %lld",
		   atomic64_read(&c->destroy_ok), atomic64_read(&c->destroy_other),
		   atomic64_read(&c->destroy_enoent));
	seq_printf(seq, " stats_calls %lld stats_answered %lld", atomic64_read(&c->stats_calls),
		   atomic64_read(&c->stats_answered));
	seq_printf(seq, " hits %lld hit_bytes %lld misses %lld punts %lld",
		   atomic64_read(&c->hits), atomic64_read(&c->hit_bytes),
		   atomic64_read(&c->misses), punts);
	for (i = 0; i < FTNIC_PUNTS; i++)
		seq_printf(seq, " punt_%s %lld", ftnic_punt_names[i], atomic64_read(&c->punts[i]));
	seq_printf(seq, " stale_at_unbind %lld", atomic64_read(&c->stale_at_unbind));
}

static int ftnic_ports_show(struct seq_file *seq, void *v)
{
	struct ftnic_port *port;
	struct net_device *peer;

	mutex_lock(&ftnic_lock);
	list_for_each_entry(port, &ftnic_ports, node) {
		seq_printf(seq, "port%u name %s ifindex %d netns %u", port->id,
			   netdev_name(port->dev), port->dev->ifindex, dev_net(port->dev)->ns.inum);
		rcu_read_lock();
		peer = rcu_dereference(port->peer);
		seq_printf(seq, " peer %s", peer ? netdev_name(peer) : "-");
		rcu_read_unlock();
		seq_printf(seq, " profile %s bindings %d rules %d", ftnic_profile_names[port->profile],
			   atomic_read(&port->nbindings), atomic_read(&port->nrules));
		ftnic_show_counters(seq, &port->c);
		seq_putc(seq, '\n');
	}
	mutex_unlock(&ftnic_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ftnic_ports);

static int ftnic_totals_show(struct seq_file *seq, void *v)
{
	unsigned int ports = 0;
	struct ftnic_port *port;

	mutex_lock(&ftnic_lock);
	list_for_each_entry(port, &ftnic_ports, node)
		ports++;
	seq_printf(seq, "ftnic ports %u rules %u", ports, ftnic_rule_count);
	ftnic_show_counters(seq, &ftnic_totals);
	seq_putc(seq, '\n');
	mutex_unlock(&ftnic_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ftnic_totals);

/* ------------------------------------------------------------------ knobs */

static ssize_t ftnic_profile_write(int *profile, struct ftnic_port *port, const char __user *ubuf,
				   size_t count)
{
	char name[16];
	int p;

	if (count >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, count))
		return -EFAULT;
	name[count] = '\0';
	p = ftnic_profile_parse(name);
	if (p < 0)
		return p;
	mutex_lock(&ftnic_lock);
	/* A bound port's rules were checked and keyed under its profile. */
	if (port && !list_empty(&port->bindings)) {
		mutex_unlock(&ftnic_lock);
		return -EBUSY;
	}
	WRITE_ONCE(*profile, p);
	mutex_unlock(&ftnic_lock);
	return count;
}

static int ftnic_port_profile_show(struct seq_file *seq, void *v)
{
	struct ftnic_port *port = seq->private;

	seq_printf(seq, "%s\n", ftnic_profile_names[READ_ONCE(port->profile)]);
	return 0;
}

static int ftnic_port_profile_open(struct inode *inode, struct file *file)
{
	return single_open(file, ftnic_port_profile_show, inode->i_private);
}

static ssize_t ftnic_port_profile_write(struct file *file, const char __user *ubuf, size_t count,
					loff_t *ppos)
{
	struct ftnic_port *port = ((struct seq_file *)file->private_data)->private;

	return ftnic_profile_write(&port->profile, port, ubuf, count);
}

static const struct file_operations ftnic_port_profile_fops = {
	.owner = THIS_MODULE,
	.open = ftnic_port_profile_open,
	.read = seq_read,
	.write = ftnic_port_profile_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static int ftnic_default_profile_show(struct seq_file *seq, void *v)
{
	seq_printf(seq, "%s\n", ftnic_profile_names[READ_ONCE(ftnic_knobs.default_profile)]);
	return 0;
}

static int ftnic_default_profile_open(struct inode *inode, struct file *file)
{
	return single_open(file, ftnic_default_profile_show, NULL);
}

static ssize_t ftnic_default_profile_write(struct file *file, const char __user *ubuf,
					   size_t count, loff_t *ppos)
{
	return ftnic_profile_write(&ftnic_knobs.default_profile, NULL, ubuf, count);
}

static const struct file_operations ftnic_default_profile_fops = {
	.owner = THIS_MODULE,
	.open = ftnic_default_profile_open,
	.read = seq_read,
	.write = ftnic_default_profile_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Writing fail_nth arms it afresh: the Nth add from now fails. */
static int ftnic_fail_nth_get(void *data, u64 *val)
{
	*val = READ_ONCE(ftnic_knobs.fail_nth);
	return 0;
}

static int ftnic_fail_nth_set(void *data, u64 val)
{
	if (val > U32_MAX)
		return -EINVAL;
	mutex_lock(&ftnic_lock);
	ftnic_knobs.fail_nth = val;
	ftnic_knobs.adds_seen = 0;
	mutex_unlock(&ftnic_lock);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(ftnic_fail_nth_fops, ftnic_fail_nth_get, ftnic_fail_nth_set, "%llu\n");

/* ------------------------------------------------------------------ setup */

void ftnic_debugfs_port_add(struct ftnic_port *port)
{
	char name[24];

	snprintf(name, sizeof(name), "port%u", port->id);
	port->debugfs = debugfs_create_dir(name, ftnic_dir);
	debugfs_create_file("profile", 0644, port->debugfs, port, &ftnic_port_profile_fops);
}

void ftnic_debugfs_port_remove(struct ftnic_port *port)
{
	debugfs_remove_recursive(port->debugfs);
	port->debugfs = NULL;
}

int ftnic_debugfs_init(void)
{
	ftnic_dir = debugfs_create_dir(FTNIC_KIND, NULL);
	debugfs_create_file("rules", 0444, ftnic_dir, NULL, &ftnic_rules_fops);
	debugfs_create_file("rules_stats", 0444, ftnic_dir, NULL, &ftnic_rules_stats_fops);
	debugfs_create_file("ports", 0444, ftnic_dir, NULL, &ftnic_ports_fops);
	debugfs_create_file("totals", 0444, ftnic_dir, NULL, &ftnic_totals_fops);
	debugfs_create_file("default_profile", 0644, ftnic_dir, NULL, &ftnic_default_profile_fops);
	debugfs_create_bool("dec_ttl", 0644, ftnic_dir, &ftnic_knobs.dec_ttl);
	debugfs_create_bool("fix_csum", 0644, ftnic_dir, &ftnic_knobs.fix_csum);
	debugfs_create_u32("mlx5_prio_range", 0644, ftnic_dir, &ftnic_knobs.mlx5_prio_range);
	debugfs_create_u32("capacity", 0644, ftnic_dir, &ftnic_knobs.capacity);
	debugfs_create_file_unsafe("fail_nth", 0644, ftnic_dir, NULL, &ftnic_fail_nth_fops);
	debugfs_create_bool("refuse_all", 0644, ftnic_dir, &ftnic_knobs.refuse_all);
	debugfs_create_u32("delay_ms", 0644, ftnic_dir, &ftnic_knobs.delay_ms);
	return 0;
}

void ftnic_debugfs_exit(void)
{
	debugfs_remove_recursive(ftnic_dir);
}
