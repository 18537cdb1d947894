/*
 * <sys/mbuf.h>: FreeBSD's mbuf(9) API for user space, implemented by libmbufnic.
 *
 * The layout is FreeBSD main's on LP64, byte for byte: a 32-byte header, a
 * 64-byte packet header and a 160-byte external-storage descriptor, 256
 * bytes in all (MLEN 224, MHLEN 160, MINCLSIZE 161).  Every name in both
 * mbuf(9) manual pages exists: where the 2012 page (FreeBSD 9.3) and the 2020
 * page disagree, the 2020 page wins and the older names are kept as aliases
 * (M_WAIT/M_DONTWAIT, CSUM_IP_FRAGS, M_FRAG, MFREE, MEXTFREE, m_getclr).
 *
 * m_flags numbering follows the 2020 page (the FreeBSD 12 numbering, with
 * M_PROTO1 at 0x1000 through M_PROTO12 at 0x800000); FreeBSD 13 later moved
 * the protocol flags up one bit to make room for M_TSTMP_LRO, which neither
 * page names and which this runtime therefore leaves out.
 *
 * Behaviour (which calls free a chain on failure, which keep it, what is
 * shared and what is copied) is FreeBSD's; docs/mbuf.md lists the few places
 * where this runtime checks more than the kernel does.
 */
#ifndef MBUFNIC_COMPAT_SYS_MBUF_H_
#define MBUFNIC_COMPAT_SYS_MBUF_H_

#include <sys/cdefs.h>
#include <sys/types.h>
#include <sys/param.h>
#include <sys/queue.h>
#include <sys/malloc.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

__BEGIN_DECLS

struct ifnet;
struct m_snd_tag;
struct mbuf;

/*
 * Packet tags (mbuf_tags(9)): typed, variable-length records hung off a
 * packet header.  The payload follows the structure in the same allocation.
 */
struct m_tag {
  SLIST_ENTRY(m_tag) m_tag_link; /* list of packet tags */
  u_int16_t m_tag_id;            /* tag id */
  u_int16_t m_tag_len;           /* length of data */
  u_int32_t m_tag_cookie;        /* ABI/module id */
  void (*m_tag_free)(struct m_tag *);
};

/* Persistent-across-layers and layer-local scratch words of the packet header. */
union mbufnic_pkthdr_scratch {
  uint8_t eight[8];
  uint16_t sixteen[4];
  uint32_t thirtytwo[2];
  uint64_t sixtyfour[1];
  uintptr_t unintptr[1];
  void *ptr;
};

/*
 * Record/packet header in the first mbuf of a chain; valid when M_PKTHDR is set.
 */
struct pkthdr {
  union {
    struct m_snd_tag *snd_tag; /* send tag, if CSUM_SND_TAG */
    struct ifnet *rcvif;       /* receive interface */
    struct {
      uint16_t rcvidx; /* rcv interface index ... */
      uint16_t rcvgen; /* ... and generation count */
    };
  };
  union {
    struct ifnet *leaf_rcvif; /* leaf rcv interface */
    struct {
      uint16_t leaf_rcvidx;
      uint16_t leaf_rcvgen;
    };
  };
  SLIST_HEAD(packet_tags, m_tag) tags; /* list of packet tags */
  int32_t len;                         /* total packet length */

  /* Layer-crossing fields. */
  uint32_t flowid;     /* packet's 4-tuple hash (RSS) */
  uint32_t csum_flags; /* checksum and offload features */
  uint16_t fibnum;     /* this packet should use this fib */
  uint8_t numa_domain; /* NUMA domain of receive */
  uint8_t rsstype;     /* hash type, M_HASHTYPE_* */
  union {
    uint64_t rcv_tstmp; /* timestamp in ns */
    struct {
      uint8_t l2hlen;       /* layer 2 header length */
      uint8_t l3hlen;       /* layer 3 header length */
      uint8_t l4hlen;       /* layer 4 header length */
      uint8_t l5hlen;       /* layer 5 header length */
      uint8_t inner_l2hlen;
      uint8_t inner_l3hlen;
      uint8_t inner_l4hlen;
      uint8_t inner_l5hlen;
    };
  };
  union mbufnic_pkthdr_scratch PH_per; /* kept across layers */
  union {
    union mbufnic_pkthdr_scratch PH_loc; /* local to one layer */
    u_int memlen;                        /* total packet memory on allocation */
  };
};
#define ether_vtag PH_per.sixteen[0]
#define tcp_tun_port PH_per.sixteen[0] /* outbound */
#define vt_nrecs PH_per.sixteen[0]     /* mld and v6-ND */
#define tso_segsz PH_per.sixteen[1]    /* inbound after LRO */
#define lro_nsegs tso_segsz            /* inbound after LRO */
#define csum_data PH_per.thirtytwo[1]  /* inbound from hardware up */
#define lro_tcp_d_len PH_loc.sixteen[0]
#define lro_tcp_d_csum PH_loc.sixteen[1]
#define lro_tcp_h_off PH_loc.sixteen[2]
#define lro_etype PH_loc.sixteen[3]

/* Free routine of external storage (FreeBSD 11 and later signature). */
typedef void m_ext_free_t(struct mbuf *);

/*
 * Description of external storage mapped into the mbuf; valid when M_EXT.
 * The reference count is embedded in the first mbuf attached to the storage
 * (EXT_FLAG_EMBREF); copies point at it through ext_cnt.
 */
struct m_ext {
  union {
    volatile u_int ext_count;  /* embedded refcount (EXT_FLAG_EMBREF) */
    volatile u_int *ext_cnt;   /* pointer to the refcount elsewhere */
  };
  uint32_t ext_size;           /* size of buffer, for ext_free */
  uint32_t ext_type : 8,       /* type of external storage, EXT_* */
      ext_flags : 24;          /* external storage mbuf flags, EXT_FLAG_* */
  union {
    struct {
      char *ext_buf;  /* start of buffer */
      void *ext_arg2; /* free argument 2 */
    };
    /* Room FreeBSD uses for unmapped (M_EXTPG) page arrays; kept for the layout. */
    struct {
      vm_paddr_t extpg_pa[5];
      char extpg_trail[64];
      char extpg_hdr[23];
    };
  };
  m_ext_free_t *ext_free; /* free routine if not the usual */
  void *ext_arg1;         /* free argument 1 */
};

/*
 * The mbuf: a 32-byte header followed by internal data, or a packet header
 * and internal data, or a packet header and an external storage descriptor.
 */
struct mbuf {
  union {
    struct mbuf *m_next; /* next buffer in chain */
    SLIST_ENTRY(mbuf) m_slist;
    STAILQ_ENTRY(mbuf) m_stailq;
  };
  union {
    struct mbuf *m_nextpkt; /* next chain in queue/record */
    SLIST_ENTRY(mbuf) m_slistpkt;
    STAILQ_ENTRY(mbuf) m_stailqpkt;
  };
  caddr_t m_data;    /* location of data */
  int32_t m_len;     /* amount of data in this mbuf */
  uint32_t m_type : 8, /* type of data in this mbuf */
      m_flags : 24;    /* flags; see below */
  union {
    struct {
      struct pkthdr m_pkthdr; /* M_PKTHDR set */
      union {
        struct m_ext m_ext; /* M_EXT set */
        char m_pktdat[0];
      };
    };
    char m_dat[0]; /* !M_PKTHDR, !M_EXT */
  };
};

#define MHSIZE offsetof(struct mbuf, m_dat)
#define MPKTHSIZE offsetof(struct mbuf, m_pktdat)
#define MLEN ((int)(MSIZE - MHSIZE))     /* normal data len */
#define MHLEN ((int)(MSIZE - MPKTHSIZE)) /* data len w/pkthdr */
#define MINCLSIZE (MHLEN + 1)            /* smallest amount to put in cluster */
#define M_NODOM 255

#ifdef __cplusplus
#define MBUFNIC_CTASSERT(x, why) static_assert(x, why)
#else
#define MBUFNIC_CTASSERT(x, why) _Static_assert(x, why)
#endif
#if UINTPTR_MAX == UINT64_MAX
/* FreeBSD main's LP64 layout, pinned as kern_mbuf.c and uipc_mbuf.c pin it. */
MBUFNIC_CTASSERT(offsetof(struct mbuf, m_dat) == 32, "mbuf header is 32 bytes on LP64");
MBUFNIC_CTASSERT(sizeof(struct pkthdr) == 64, "pkthdr is 64 bytes on LP64");
MBUFNIC_CTASSERT(sizeof(struct m_ext) == 160, "m_ext is 160 bytes on LP64");
MBUFNIC_CTASSERT(offsetof(struct m_ext, ext_free) == 144, "ext_free at 144");
MBUFNIC_CTASSERT(offsetof(struct pkthdr, csum_flags) == 32, "csum_flags at 32");
MBUFNIC_CTASSERT(offsetof(struct pkthdr, PH_per) == 48, "PH_per at 48");
MBUFNIC_CTASSERT(MLEN == 224 && MHLEN == 160 && MINCLSIZE == 161, "MLEN/MHLEN/MINCLSIZE");
#endif
MBUFNIC_CTASSERT(sizeof(struct mbuf) == MSIZE, "struct mbuf fills MSIZE");
MBUFNIC_CTASSERT((MSIZE & (MSIZE - 1)) == 0, "MSIZE is a power of 2");
MBUFNIC_CTASSERT(MHSIZE % 8 == 0 && MPKTHSIZE % 8 == 0, "data areas 8-byte aligned");
MBUFNIC_CTASSERT(MCLBYTES == 2048 && MJUM9BYTES == 9216 && MJUM16BYTES == 16384, "cluster sizes");

/* Data pointer of an mbuf, cast to type t. */
#define mtod(m, t) ((t)((m)->m_data))
/* Data pointer plus o bytes. */
#define mtodo(m, o) ((void *)(((m)->m_data) + (o)))

/* ---- m_flags (24 bits) ---- */
#define M_EXT 0x00000001      /* has associated external storage */
#define M_PKTHDR 0x00000002   /* start of record */
#define M_EOR 0x00000004      /* end of record */
#define M_RDONLY 0x00000008   /* associated data is marked read-only */
#define M_BCAST 0x00000010    /* send/received as link-level broadcast */
#define M_MCAST 0x00000020    /* send/received as link-level multicast */
#define M_PROMISC 0x00000040  /* packet was not for us */
#define M_VLANTAG 0x00000080  /* ether_vtag is valid */
#define M_EXTPG 0x00000100    /* has array of unmapped pages (never made here) */
#define M_NOMAP M_EXTPG       /* the 2019 name of M_EXTPG */
#define M_NOFREE 0x00000200   /* do not free mbuf, embedded in cluster */
#define M_TSTMP 0x00000400    /* rcv_tstmp field is valid */
#define M_TSTMP_HPREC 0x00000800 /* rcv_tstmp is high-precision */
#define M_PROTO1 0x00001000   /* protocol-specific */
#define M_PROTO2 0x00002000
#define M_PROTO3 0x00004000
#define M_PROTO4 0x00008000
#define M_PROTO5 0x00010000
#define M_PROTO6 0x00020000
#define M_PROTO7 0x00040000
#define M_PROTO8 0x00080000
#define M_PROTO9 0x00100000
#define M_PROTO10 0x00200000
#define M_PROTO11 0x00400000
#define M_PROTO12 0x00800000

#define M_PROTOFLAGS                                                                      \
  (M_PROTO1 | M_PROTO2 | M_PROTO3 | M_PROTO4 | M_PROTO5 | M_PROTO6 | M_PROTO7 | M_PROTO8 | \
   M_PROTO9 | M_PROTO10 | M_PROTO11 | M_PROTO12)
/* Flags preserved when copying or moving a packet header. */
#define M_COPYFLAGS                                                                        \
  (M_PKTHDR | M_EOR | M_RDONLY | M_BCAST | M_MCAST | M_PROMISC | M_VLANTAG | M_TSTMP | \
   M_TSTMP_HPREC | M_PROTOFLAGS)
/* Flags preserved by m_demote(). */
#define M_DEMOTEFLAGS (M_EXT | M_RDONLY | M_NOFREE | M_EXTPG)

/*
 * The 2012 page's IP-fragment flags.  FreeBSD 10 dropped them from m_flags;
 * they live on here as protocol-private bits (cleared at layer hand-off like
 * every M_PROTOn, copied with the packet header as they were in 9.x).
 */
#define M_FRAG M_PROTO10      /* packet is a fragment of a larger packet */
#define M_FIRSTFRAG M_PROTO11 /* packet is first fragment */
#define M_LASTFRAG M_PROTO12  /* packet is last fragment */
/* "mbuf is on the free list": a caller never holds such an mbuf, so never set. */
#define M_FREELIST 0x00000000

#define M_FLAG_BITS                                                            \
  "\20\1M_EXT\2M_PKTHDR\3M_EOR\4M_RDONLY\5M_BCAST\6M_MCAST\7M_PROMISC\10M_VLANTAG" \
  "\11M_EXTPG\12M_NOFREE\13M_TSTMP\14M_TSTMP_HPREC"

/* ---- mbuf types (m_type) ---- */
#define MT_NOTMBUF 0  /* USED INTERNALLY ONLY! Object is not mbuf */
#define MT_DATA 1     /* dynamic (data) allocation */
#define MT_HEADER MT_DATA /* packet header, use M_PKTHDR instead */
#define MT_VENDOR1 4
#define MT_VENDOR2 5
#define MT_VENDOR3 6
#define MT_VENDOR4 7
#define MT_SONAME 8   /* socket name */
#define MT_EXP1 9
#define MT_EXP2 10
#define MT_EXP3 11
#define MT_EXP4 12
#define MT_CONTROL 14    /* extra-data protocol message */
#define MT_EXTCONTROL 15 /* control message with externalized contents */
#define MT_OOBDATA 16    /* expedited data */
#define MT_NOINIT 255    /* not a type: tells the allocator to skip initialisation */

/* ---- external storage types (ext_type) ---- */
#define EXT_CLUSTER 1    /* mbuf cluster */
#define EXT_SFBUF 2      /* sendfile(2)'s sf_buf */
#define EXT_JUMBOP 3     /* jumbo cluster of page size */
#define EXT_JUMBO9 4     /* jumbo cluster 9216 bytes */
#define EXT_JUMBO16 5    /* jumbo cluster 16384 bytes */
#define EXT_PACKET 6     /* mbuf+cluster from the packet zone */
#define EXT_MBUF 7       /* external mbuf reference */
#define EXT_RXRING 8     /* data in a NIC receive ring */
#define EXT_PGS 9        /* the 2020 page's name for unmapped pages (now M_EXTPG) */
#define EXT_VENDOR1 224
#define EXT_VENDOR2 225
#define EXT_VENDOR3 226
#define EXT_VENDOR4 227
#define EXT_EXP1 244
#define EXT_EXP2 245
#define EXT_EXP3 246
#define EXT_EXP4 247
#define EXT_NET_DRV 252    /* custom ext_buf provided by net driver(s) */
#define EXT_MOD_TYPE 253   /* custom module's ext_buf type */
#define EXT_DISPOSABLE 254 /* can throw this buffer away w/page flipping */
#define EXT_EXTREF 255     /* has externally maintained ext_cnt pointer */

/* ---- ext_flags ---- */
#define EXT_FLAG_EMBREF 0x000001 /* embedded ext_count */
#define EXT_FLAG_EXTREF 0x000002 /* external ext_cnt, notyet */
#define EXT_FLAG_NOFREE 0x000010 /* don't free mbuf to pool, notyet */
#define EXT_FLAG_VENDOR1 0x010000
#define EXT_FLAG_VENDOR2 0x020000
#define EXT_FLAG_VENDOR3 0x040000
#define EXT_FLAG_VENDOR4 0x080000
#define EXT_FLAG_EXP1 0x100000
#define EXT_FLAG_EXP2 0x200000
#define EXT_FLAG_EXP3 0x400000
#define EXT_FLAG_EXP4 0x800000

/* ---- csum_flags: outbound requests (TX) ---- */
#define CSUM_IP 0x00000001        /* IP header checksum offload */
#define CSUM_IP_UDP 0x00000002    /* UDP checksum offload */
#define CSUM_IP_TCP 0x00000004    /* TCP checksum offload */
#define CSUM_IP_SCTP 0x00000008   /* SCTP checksum offload */
#define CSUM_IP_TSO 0x00000010    /* TCP segmentation offload */
#define CSUM_IP_ISCSI 0x00000020  /* iSCSI checksum offload */
#define CSUM_INNER_IP6_UDP 0x00000040
#define CSUM_INNER_IP6_TCP 0x00000080
#define CSUM_INNER_IP6_TSO 0x00000100
#define CSUM_IP6_UDP 0x00000200   /* UDP checksum offload */
#define CSUM_IP6_TCP 0x00000400   /* TCP checksum offload */
#define CSUM_IP6_SCTP 0x00000800  /* SCTP checksum offload */
#define CSUM_IP6_TSO 0x00001000   /* TCP segmentation offload */
#define CSUM_IP6_ISCSI 0x00002000 /* iSCSI checksum offload */
#define CSUM_INNER_IP 0x00004000
#define CSUM_INNER_IP_UDP 0x00008000
#define CSUM_INNER_IP_TCP 0x00010000
#define CSUM_INNER_IP_TSO 0x00020000
#define CSUM_ENCAP_VXLAN 0x00040000 /* VXLAN outer encapsulation */
#define CSUM_ENCAP_RSVD1 0x00080000

/* ---- csum_flags: inbound results (RX) ---- */
#define CSUM_INNER_L3_CALC 0x00100000
#define CSUM_INNER_L3_VALID 0x00200000
#define CSUM_INNER_L4_CALC 0x00400000
#define CSUM_INNER_L4_VALID 0x00800000
#define CSUM_L3_CALC 0x01000000   /* calculated layer 3 csum */
#define CSUM_L3_VALID 0x02000000  /* checksum is correct */
#define CSUM_L4_CALC 0x04000000   /* calculated layer 4 csum */
#define CSUM_L4_VALID 0x08000000  /* checksum is correct */
#define CSUM_L5_CALC 0x10000000   /* calculated layer 5 csum */
#define CSUM_L5_VALID 0x20000000  /* checksum is correct */
#define CSUM_COALESCED 0x40000000 /* contains merged segments */
#define CSUM_SND_TAG 0x80000000   /* packet header has send tag */

#define CSUM_FLAGS_TX                                                                          \
  (CSUM_IP | CSUM_IP_UDP | CSUM_IP_TCP | CSUM_IP_SCTP | CSUM_IP_TSO | CSUM_IP_ISCSI |          \
   CSUM_INNER_IP6_UDP | CSUM_INNER_IP6_TCP | CSUM_INNER_IP6_TSO | CSUM_IP6_UDP | CSUM_IP6_TCP | \
   CSUM_IP6_SCTP | CSUM_IP6_TSO | CSUM_IP6_ISCSI | CSUM_INNER_IP | CSUM_INNER_IP_UDP |          \
   CSUM_INNER_IP_TCP | CSUM_INNER_IP_TSO | CSUM_ENCAP_VXLAN | CSUM_ENCAP_RSVD1 | CSUM_SND_TAG)
#define CSUM_FLAGS_RX                                                                         \
  (CSUM_INNER_L3_CALC | CSUM_INNER_L3_VALID | CSUM_INNER_L4_CALC | CSUM_INNER_L4_VALID |      \
   CSUM_L3_CALC | CSUM_L3_VALID | CSUM_L4_CALC | CSUM_L4_VALID | CSUM_L5_CALC | CSUM_L5_VALID | \
   CSUM_COALESCED)

/* ---- compatibility names (both pages, and FreeBSD <= 9 spellings) ---- */
#define CSUM_IP_CHECKED CSUM_L3_CALC
#define CSUM_IP_VALID CSUM_L3_VALID
#define CSUM_DATA_VALID CSUM_L4_VALID
#define CSUM_PSEUDO_HDR CSUM_L4_CALC
#define CSUM_SCTP_VALID CSUM_L4_VALID
#define CSUM_DELAY_DATA (CSUM_TCP | CSUM_UDP)
#define CSUM_DELAY_IP CSUM_IP
#define CSUM_DELAY_DATA_IPV6 (CSUM_TCP_IPV6 | CSUM_UDP_IPV6)
#define CSUM_DATA_VALID_IPV6 CSUM_DATA_VALID
#define CSUM_TCP CSUM_IP_TCP
#define CSUM_UDP CSUM_IP_UDP
#define CSUM_SCTP CSUM_IP_SCTP
#define CSUM_TSO (CSUM_IP_TSO | CSUM_IP6_TSO) /* a mask, not one bit */
#define CSUM_INNER_TSO (CSUM_INNER_IP_TSO | CSUM_INNER_IP6_TSO)
#define CSUM_UDP_IPV6 CSUM_IP6_UDP
#define CSUM_TCP_IPV6 CSUM_IP6_TCP
#define CSUM_SCTP_IPV6 CSUM_IP6_SCTP
#define CSUM_TLS_MASK (CSUM_L5_CALC | CSUM_L5_VALID)
#define CSUM_TLS_DECRYPTED CSUM_L5_CALC
/* IP fragmentation offload ("CSUM_IP_FRAGS", 2012 page): no card offers it; never set. */
#define CSUM_IP_FRAGS 0
#define CSUM_FRAGMENT 0

/* ---- RSS hash types (rsstype) ---- */
#define M_HASHTYPE_HASHPROP 0x80 /* has cryptographic hash */
#define M_HASHTYPE_INNER 0x40    /* calculated from inner headers */
#define M_HASHTYPE_HASH(t) (M_HASHTYPE_HASHPROP | (t))
#define M_HASHTYPE_NONE 0
#define M_HASHTYPE_RSS_IPV4 M_HASHTYPE_HASH(1)
#define M_HASHTYPE_RSS_TCP_IPV4 M_HASHTYPE_HASH(2)
#define M_HASHTYPE_RSS_IPV6 M_HASHTYPE_HASH(3)
#define M_HASHTYPE_RSS_TCP_IPV6 M_HASHTYPE_HASH(4)
#define M_HASHTYPE_RSS_IPV6_EX M_HASHTYPE_HASH(5)
#define M_HASHTYPE_RSS_TCP_IPV6_EX M_HASHTYPE_HASH(6)
#define M_HASHTYPE_RSS_UDP_IPV4 M_HASHTYPE_HASH(7)
#define M_HASHTYPE_RSS_UDP_IPV6 M_HASHTYPE_HASH(9)
#define M_HASHTYPE_RSS_UDP_IPV6_EX M_HASHTYPE_HASH(10)
#define M_HASHTYPE_OPAQUE 0x3f
#define M_HASHTYPE_OPAQUE_HASH M_HASHTYPE_HASH(M_HASHTYPE_OPAQUE)
#define M_HASHTYPE_CLEAR(m) ((m)->m_pkthdr.rsstype = 0)
#define M_HASHTYPE_GET(m) ((m)->m_pkthdr.rsstype & ~M_HASHTYPE_INNER)
#define M_HASHTYPE_SET(m, v) ((m)->m_pkthdr.rsstype = (v))
#define M_HASHTYPE_TEST(m, v) (M_HASHTYPE_GET(m) == (v))
#define M_HASHTYPE_ISHASH(m) (((m)->m_pkthdr.rsstype & M_HASHTYPE_HASHPROP) != 0)

/* ---- m_tag ids and cookies ---- */
#define MTAG_ABI_COMPAT 0     /* compatibility ABI (OpenBSD style) */
#define MTAG_PERSISTENT 0x800 /* tag survives m_tag_delete_nonpersistent() */
#define PACKET_TAG_NONE 0
#define PACKET_TAG_IPSEC_IN_DONE 1
#define PACKET_TAG_IPSEC_OUT_DONE 2
#define PACKET_TAG_IPSEC_IN_CRYPTO_DONE 3
#define PACKET_TAG_IPSEC_OUT_CRYPTO_NEEDED 4
#define PACKET_TAG_IPSEC_IN_COULD_DO_CRYPTO 5
#define PACKET_TAG_IPSEC_PENDING_TDB 6
#define PACKET_TAG_BRIDGE 7
#define PACKET_TAG_GIF 8
#define PACKET_TAG_GRE 9
#define PACKET_TAG_IN_PACKET_CHECKSUM 10
#define PACKET_TAG_ENCAP 11
#define PACKET_TAG_IPSEC_SOCKET 12
#define PACKET_TAG_IPSEC_HISTORY 13
#define PACKET_TAG_IPV6_INPUT 14
#define PACKET_TAG_DUMMYNET 15
#define PACKET_TAG_DIVERT 17
#define PACKET_TAG_IPFORWARD 18
#define PACKET_TAG_MACLABEL (19 | MTAG_PERSISTENT)
#define PACKET_TAG_PF 21
#define PACKET_TAG_IPOPTIONS 27
#define PACKET_TAG_CARP 28
#define PACKET_TAG_IPSEC_NAT_T_PORTS 29
#define PACKET_TAG_ND_OUTGOING 30
#define PACKET_TAG_PF_REASSEMBLED 31

/* Copy everything: the length argument of m_copym() meaning "to the end". */
#define M_COPYALL 1000000000

/* ---- allocation ---- */
struct mbuf *m_get(int how, short type);
struct mbuf *m_gethdr(int how, short type);
struct mbuf *m_getcl(int how, short type, int flags);
struct mbuf *m_getjcl(int how, short type, int flags, int size);
struct mbuf *m_get2(int size, int how, short type, int flags);
struct mbuf *m_get3(int size, int how, short type, int flags);
struct mbuf *m_getm2(struct mbuf *m, int len, int how, short type, int flags);
struct mbuf *m_getclr(int how, short type);
int m_clget(struct mbuf *m, int how);
void *m_cljget(struct mbuf *m, int how, int size);
void m_cljset(struct mbuf *m, void *cl, int type);
int m_init(struct mbuf *m, int how, short type, int flags);
int m_pkthdr_init(struct mbuf *m, int how);
void m_extadd(struct mbuf *m, char *buf, u_int size, m_ext_free_t *freef, void *arg1,
              void *arg2, int flags, int type);
/* Size of the external storage type (EXT_CLUSTER..EXT_JUMBO16) for a cluster size. */
int m_gettype(int size);

/* ---- freeing ---- */
struct mbuf *m_free(struct mbuf *m);
void m_freem(struct mbuf *m);

/* ---- packet header ---- */
void m_move_pkthdr(struct mbuf *to, struct mbuf *from);
int m_dup_pkthdr(struct mbuf *to, const struct mbuf *from, int how);
void m_demote_pkthdr(struct mbuf *m);
void m_demote(struct mbuf *m0, int all, int flags);
u_int m_fixhdr(struct mbuf *m);
u_int m_length(struct mbuf *m, struct mbuf **last);
int m_sanity(struct mbuf *m, int sanitize);

/* ---- trimming, joining, splitting ---- */
void m_adj(struct mbuf *mp, int req_len);
void m_align(struct mbuf *m, int len);
int m_append(struct mbuf *m0, int len, c_caddr_t cp);
struct mbuf *m_prepend(struct mbuf *m, int len, int how);
void m_cat(struct mbuf *m, struct mbuf *n);
void m_catpkt(struct mbuf *m, struct mbuf *n);
struct mbuf *m_split(struct mbuf *m0, int len0, int how);

/* ---- copying ---- */
struct mbuf *m_copym(struct mbuf *m, int off0, int len, int how);
struct mbuf *m_copypacket(struct mbuf *m, int how);
struct mbuf *m_dup(const struct mbuf *m, int how);
void m_copydata(const struct mbuf *m, int off, int len, caddr_t cp);
void m_copyback(struct mbuf *m0, int off, int len, c_caddr_t cp);
struct mbuf *m_devget(char *buf, int totlen, int off, struct ifnet *ifp,
                      void (*copy)(char *from, caddr_t to, u_int len));
int m_apply(struct mbuf *m, int off, int len, int (*f)(void *arg, void *data, u_int len),
            void *arg);
struct mbuf *m_getptr(struct mbuf *m, int loc, int *off);

/* ---- contiguity and defragmentation ---- */
struct mbuf *m_pullup(struct mbuf *n, int len);
struct mbuf *m_copyup(struct mbuf *n, int len, int dstoff);
struct mbuf *m_pulldown(struct mbuf *m, int off, int len, int *offp);
struct mbuf *m_collapse(struct mbuf *m0, int how, int maxfrags);
struct mbuf *m_defrag(struct mbuf *m0, int how);
struct mbuf *m_unshare(struct mbuf *m0, int how);
/* MBUF_STRESS_TEST: re-chain m0 into fragments of `length` bytes (see mbuf(9)). */
struct mbuf *m_fragment(struct mbuf *m0, int how, int length);

/* ---- packet tags (mbuf_tags(9)) ---- */
struct m_tag *m_tag_alloc(uint32_t cookie, uint16_t type, int len, int how);
void m_tag_free_default(struct m_tag *t);
void m_tag_delete(struct mbuf *m, struct m_tag *t);
void m_tag_delete_chain(struct mbuf *m, struct m_tag *t);
void m_tag_delete_nonpersistent(struct mbuf *m);
struct m_tag *m_tag_locate(struct mbuf *m, uint32_t cookie, uint16_t type, struct m_tag *t);
struct m_tag *m_tag_copy(struct m_tag *t, int how);
int m_tag_copy_chain(struct mbuf *to, const struct mbuf *from, int how);

/* ---- inline helpers and macros ---- */

/*
 * Reference count of m's external storage, wherever it lives.  Read atomically (a plain load on
 * x86 and arm64) because the other holders may drop their references on other threads meanwhile.
 */
static inline u_int m_extrefcnt(const struct mbuf *m) {
  return __atomic_load_n(
      (m->m_ext.ext_flags & EXT_FLAG_EMBREF) ? &m->m_ext.ext_count : m->m_ext.ext_cnt,
      __ATOMIC_RELAXED);
}

/* Start of the data area, whichever kind of storage the mbuf has (NULL for M_EXTPG). */
#define M_START(m)                                                    \
  (((m)->m_flags & M_EXTPG)    ? (caddr_t)NULL                        \
   : ((m)->m_flags & M_EXT)    ? (m)->m_ext.ext_buf                   \
   : ((m)->m_flags & M_PKTHDR) ? &(m)->m_pktdat[0]                    \
                               : &(m)->m_dat[0])
/* Size of the data area. */
#define M_SIZE(m)                     \
  (((m)->m_flags & M_EXT)    ? (int)(m)->m_ext.ext_size \
   : ((m)->m_flags & M_PKTHDR) ? MHLEN               \
                               : MLEN)

/* True when m's data may be written in place: not read-only, storage not shared. */
#define M_WRITABLE(m)                                   \
  (((m)->m_flags & (M_RDONLY | M_EXTPG)) == 0 &&        \
   (((m)->m_flags & M_EXT) == 0 || m_extrefcnt(m) == 1))

/* Room after the data, regardless of writability. */
#define M_TRAILINGROOM(m) ((M_START(m) + M_SIZE(m)) - ((m)->m_data + (m)->m_len))
/* Room before the data that may be used (0 if m is not writable). */
#define M_LEADINGSPACE(m) (M_WRITABLE(m) ? (int)((m)->m_data - M_START(m)) : 0)
/* Room after the data that may be used (0 if m is not writable). */
#define M_TRAILINGSPACE(m) (M_WRITABLE(m) ? (int)M_TRAILINGROOM(m) : 0)

/* Place an object of len bytes at the end of a fresh mbuf, long-aligned. */
#define M_ALIGN(m, len) m_align(m, len)
#define MH_ALIGN(m, len) m_align(m, len)
#define MEXT_ALIGN(m, len) m_align(m, len)

#define M_ASSERTPKTHDR(m) \
  KASSERT((m) != NULL && (m)->m_flags & M_PKTHDR, ("%s: no mbuf packet header!", __func__))
#define M_ASSERTVALID(m) \
  KASSERT((((struct mbuf *)m)->m_flags & 0) == 0, ("%s: attempted use of a free mbuf!", __func__))

/*
 * Prepend plen bytes to m.  Uses leading space when there is enough;
 * otherwise a new mbuf goes in front.  On allocation failure the chain is
 * freed and m is set to NULL.  pkthdr.len grows by plen.
 */
#define M_PREPEND(m, plen, how)                                     \
  do {                                                              \
    struct mbuf **_mmp = &(m);                                      \
    struct mbuf *_mm = *_mmp;                                       \
    int _mplen = (plen);                                            \
    int __mhow = (how);                                             \
    if (M_LEADINGSPACE(_mm) >= _mplen) {                            \
      _mm->m_data -= _mplen;                                        \
      _mm->m_len += _mplen;                                         \
    } else                                                          \
      _mm = m_prepend(_mm, _mplen, __mhow);                         \
    if (_mm != NULL && _mm->m_flags & M_PKTHDR)                     \
      _mm->m_pkthdr.len += _mplen;                                  \
    *_mmp = _mm;                                                    \
  } while (0)

#define MGET(m, how, type) ((m) = m_get((how), (type)))
#define MGETHDR(m, how, type) ((m) = m_gethdr((how), (type)))
#define MCLGET(m, how) m_clget((m), (how))
#define MEXTADD(m, buf, size, free, arg1, arg2, flags, type) \
  m_extadd((m), (char *)(buf), (size), (free), (arg1), (arg2), (flags), (type))
#define MCHTYPE(m, t) m_chtype((m), (t))
#define M_MOVE_PKTHDR(to, from) m_move_pkthdr((to), (from))
/* 2012 page: free one mbuf and set n to its successor. */
#define MFREE(m, n) ((n) = m_free(m))
/* 2012 page: release m's external storage (drop one reference) and clear M_EXT. */
#define MEXTFREE(m) m_extfree(m)
/* 4.3BSD: m_copym() without waiting. */
#define m_copy(m, o, l) m_copym((m), (o), (l), M_NOWAIT)
/* Same as m_getm2() with M_PKTHDR. */
#define m_getm(m, len, how, type) m_getm2((m), (len), (how), (type), M_PKTHDR)

void m_extfree(struct mbuf *m);

static inline void m_chtype(struct mbuf *m, short new_type) { m->m_type = (uint8_t)new_type; }
static inline void m_clrprotoflags(struct mbuf *m) {
  while (m) {
    m->m_flags &= ~M_PROTOFLAGS;
    m = m->m_next;
  }
}
static inline struct ifnet *m_rcvif(struct mbuf *m) {
  if (m->m_pkthdr.csum_flags & CSUM_SND_TAG) return NULL;
  return m->m_pkthdr.rcvif;
}

/* ---- tags: inline helpers ---- */
static inline void m_tag_init(struct mbuf *m) { SLIST_INIT(&m->m_pkthdr.tags); }
static inline void m_tag_setup(struct m_tag *t, uint32_t cookie, uint16_t type, int len) {
  t->m_tag_id = type;
  t->m_tag_len = (uint16_t)len;
  t->m_tag_cookie = cookie;
}
static inline void m_tag_free(struct m_tag *t) { (*t->m_tag_free)(t); }
static inline struct m_tag *m_tag_first(struct mbuf *m) { return SLIST_FIRST(&m->m_pkthdr.tags); }
static inline struct m_tag *m_tag_next(struct mbuf *m, struct m_tag *t) {
  (void)m;
  return SLIST_NEXT(t, m_tag_link);
}
static inline void m_tag_prepend(struct mbuf *m, struct m_tag *t) {
  SLIST_INSERT_HEAD(&m->m_pkthdr.tags, t, m_tag_link);
}
static inline void m_tag_unlink(struct mbuf *m, struct m_tag *t) {
  SLIST_REMOVE(&m->m_pkthdr.tags, t, m_tag, m_tag_link);
}
/* OpenBSD-compatible wrappers (cookie MTAG_ABI_COMPAT). */
static inline struct m_tag *m_tag_get(uint16_t type, int length, int wait) {
  return m_tag_alloc(MTAG_ABI_COMPAT, type, length, wait);
}
static inline struct m_tag *m_tag_find(struct mbuf *m, uint16_t type, struct m_tag *start) {
  return SLIST_EMPTY(&m->m_pkthdr.tags)
             ? (struct m_tag *)NULL
             : m_tag_locate(m, MTAG_ABI_COMPAT, type, start);
}

/* ---- mbufq: a bounded queue of packets linked through m_stailqpkt ---- */
STAILQ_HEAD(mbufq_head, mbuf);
struct mbufq {
  struct mbufq_head mq_head;
  int mq_len;
  int mq_maxlen; /* 0: unlimited */
};
static inline void mbufq_init(struct mbufq *mq, int maxlen) {
  STAILQ_INIT(&mq->mq_head);
  mq->mq_maxlen = maxlen;
  mq->mq_len = 0;
}
static inline struct mbuf *mbufq_flush(struct mbufq *mq) {
  struct mbuf *m = STAILQ_FIRST(&mq->mq_head);
  STAILQ_INIT(&mq->mq_head);
  mq->mq_len = 0;
  return m;
}
static inline void mbufq_drain(struct mbufq *mq) {
  struct mbuf *m = mbufq_flush(mq);
  while (m != NULL) {
    struct mbuf *n = m->m_nextpkt;
    m_freem(m);
    m = n;
  }
}
static inline struct mbuf *mbufq_first(const struct mbufq *mq) {
  return STAILQ_FIRST(&mq->mq_head);
}
static inline struct mbuf *mbufq_last(const struct mbufq *mq) {
  return STAILQ_LAST(&mq->mq_head, mbuf, m_stailqpkt);
}
static inline int mbufq_empty(const struct mbufq *mq) { return mq->mq_len == 0; }
static inline int mbufq_full(const struct mbufq *mq) {
  return mq->mq_maxlen > 0 && mq->mq_len >= mq->mq_maxlen;
}
static inline int mbufq_len(const struct mbufq *mq) { return mq->mq_len; }
/* Append m; ENOBUFS when the queue is full. */
static inline int mbufq_enqueue(struct mbufq *mq, struct mbuf *m) {
  if (mbufq_full(mq)) return ENOBUFS;
  STAILQ_INSERT_TAIL(&mq->mq_head, m, m_stailqpkt);
  mq->mq_len++;
  return 0;
}
static inline struct mbuf *mbufq_dequeue(struct mbufq *mq) {
  struct mbuf *m = STAILQ_FIRST(&mq->mq_head);
  if (m) {
    STAILQ_REMOVE_HEAD(&mq->mq_head, m_stailqpkt);
    m->m_nextpkt = NULL;
    mq->mq_len--;
  }
  return m;
}
/* Put m back at the head, ignoring the limit. */
static inline void mbufq_prepend(struct mbufq *mq, struct mbuf *m) {
  STAILQ_INSERT_HEAD(&mq->mq_head, m, m_stailqpkt);
  mq->mq_len++;
}
/* Move everything in mq_src to the tail of mq_dst. */
static inline void mbufq_concat(struct mbufq *mq_dst, struct mbufq *mq_src) {
  mq_dst->mq_len += mq_src->mq_len;
  STAILQ_CONCAT(&mq_dst->mq_head, &mq_src->mq_head);
  mq_src->mq_len = 0;
}

__END_DECLS

#endif /* MBUFNIC_COMPAT_SYS_MBUF_H_ */
