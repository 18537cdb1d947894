/*
 * A FreeBSD-style network source file, written the way kernel code is: kernel headers first,
 * KASSERT, mtod, M_PREPEND, m_pullup, bcopy, u_int.  It is compiled against the *installed*
 * mbufnic package with nothing but `pkg-config --cflags --libs mbufnic` and must run unchanged.
 * It builds a UDP/IPv4 packet, checks it, and prints "ok" with the packet length.
 */
#include <sys/param.h>
#include <sys/systm.h>
#include <sys/mbuf.h>

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>

static int
build_udp(struct mbuf **mp, const char *payload, int plen)
{
	struct mbuf *m;
	struct ip *ip;
	struct udphdr *uh;
	int hlen = sizeof(struct ip) + sizeof(struct udphdr);

	m = m_gethdr(M_NOWAIT, MT_DATA);
	if (m == NULL)
		return (ENOBUFS);
	/* Leave room for the headers so M_PREPEND need not allocate. */
	M_ALIGN(m, plen);
	bcopy(payload, mtod(m, caddr_t), plen);
	m->m_len = m->m_pkthdr.len = plen;

	M_PREPEND(m, hlen, M_NOWAIT);
	if (m == NULL)
		return (ENOBUFS);
	if (m->m_len < hlen && (m = m_pullup(m, hlen)) == NULL)
		return (ENOBUFS);
	ip = mtod(m, struct ip *);
	bzero(ip, hlen);
	ip->ip_v = IPVERSION;
	ip->ip_hl = sizeof(struct ip) >> 2;
	ip->ip_len = htons((u_short)m->m_pkthdr.len);
	ip->ip_ttl = 64;
	ip->ip_p = IPPROTO_UDP;
	uh = (struct udphdr *)(ip + 1);
	uh->uh_ulen = htons((u_short)(m->m_pkthdr.len - sizeof(struct ip)));
	m->m_pkthdr.csum_flags = CSUM_IP | CSUM_UDP;
	m->m_pkthdr.csum_data = offsetof(struct udphdr, uh_sum);
	*mp = m;
	return (0);
}

int
main(void)
{
	static const char msg[] = "hello from FreeBSD-style code";
	struct mbuf *m, *c;
	char buf[sizeof(msg)];
	u_int len;

	if (build_udp(&m, msg, sizeof(msg)) != 0)
		panic("build_udp: out of mbufs");
	KASSERT(m->m_flags & M_PKTHDR, ("no packet header"));
	len = m_length(m, NULL);
	KASSERT(len == (u_int)m->m_pkthdr.len, ("length %u != pkthdr %d", len, m->m_pkthdr.len));
	m_copydata(m, 28, sizeof(msg), buf);
	if (bcmp(buf, msg, sizeof(msg)) != 0)
		panic("payload corrupted");
	c = m_copypacket(m, M_NOWAIT);
	KASSERT(c != NULL && m_length(c, NULL) == len, ("m_copypacket"));
	m_freem(c);
	m_freem(m);
	printf("ok %u\n", len);
	return (0);
}
