// The preset dictionary counter items' counters (`z`, counter-codec.ts) are deflated with: the
// counter catalogue's names (shared/metrics/catalogue.ts) as the items spell them, with the
// default programme's channels, tiers and segments, and placeholder numbers. Deflate then finds an
// item's names in it instead of spelling each out the first time: on the bench's workload the day
// items over 1 KB (a second write unit each) went from 59 of 299 writes to 1. Nothing in it is
// data. Deflate reaches back from the end, so the names every day item has come last.
//
// Stored items are inflated with it: it never changes (test/unit/counter-codec.test.ts pins its
// digest). A better dictionary takes another marker byte (counter-codec.ts).
const RARE = [
  '"erased":1,"wbOffers":1,"wbConversions":1,"lateActivity":1,"vis":1,"nv":1,"lcRetN":1,"lcResN":1,"members":1,',
  '"expired":1,"redeemed":1,"reversed":1,"adjusted":1,"dD":1,"tier1":1,"tier2":1,"tier3":1,',
  '"seg|tier-silver":1,"seg|tier-gold":1,"seg|tier-platinum":1,"seg|status-silent":1,"seg|status-churned":1,',
  '"seg|gold-and-up-silent":1,"seg|high-spend-weibo":1,',
];
const CHANNELS = ['sem', 'seo', 'weibo', 'wechat', 'douyin', 'xiaohongshu', 'bilibili', 'kol', 'referral', 'store'];
const MORE_CHANNELS = ['store_flyer', 'app_store', 'mini_program', 'email', 'sms', 'partner', 'event', 'organic'];
const BY_CHANNEL = [
  [...CHANNELS, ...MORE_CHANNELS].map((c) => `"nc|${c}":1,`).join(''),
  ['unknown', 'wechat', 'weibo', 'referral', 'sem', 'store_flyer'].map((c) => `"rc|${c}|20000":1,`).join(''),
];
const FREQUENT = [
  '"new":1,"tier0":1,"seg|tier-member":1,"seg|status-active":1,"m0.29":1,"w0.6":1,"pv0.29":1,',
  '"b0":1,"b1":1,"b2":1,"b3":1,"b4":1,"b5":1,"issued":100,"dP":100,"revoked":1,"orders":1,"revenueCents":10000,',
  '"payingMembers":1,"launches":100,"dau":100,"lcRet":10,"lcRes":10,"dormN":100,"dormS":-10,"pageViews":100,',
  '"sessions":100,"sessionSeconds":10000,"available":100,"dA":100,',
  '"w6.6":10,"m29.29":10,"w5.6":10,"m28.29":10,"w4.6":10,"m27.29":10,"w3.6":10,"m26.29":10,"w2.6":10,"m25.29":10,',
  '"w1.6":10,"m24.29":10,"pc29.29":1,"pc28.29":1,"pc27.29":1,"pc0.29":1,',
  '"available@20000":100,"dA@20000":100,"dP@20000":-100,"rd20000":1,"ra20000.1.1":1,"ra20000.10.10":1,',
  '"ra20000.1.10":1,"ra20000.11.12":1,"rd20001":1,"ra20001.2.2":1}',
];

export const COUNTER_DICTIONARY_1 = Buffer.from(['{', ...RARE, ...BY_CHANNEL, ...FREQUENT].join(''), 'utf8');
