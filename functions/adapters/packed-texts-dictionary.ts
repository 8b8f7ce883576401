// The preset dictionary the member item's packed texts (`oz`, packed-texts.ts) are deflated with.
// Deflate then finds the names a text repeats from other members in the dictionary instead of
// spelling them out the first time: the counter outbox's syntax and short codes
// (coin-outbox-codec.ts), the action records (shared/actions/outbox.ts) with the default
// programme's tier and segment names, the orders outbox and the run-length lists. Nothing in it
// is data: the numbers are placeholders. Deflate reaches back from the end, so the most frequent
// shapes come last.
//
// Stored items are inflated with it: it never changes (test/unit/packed-texts.test.ts pins its
// digest). A better dictionary is a new attribute beside `oz`, read as `ob` still is.
const ACTIONS = [
  '["coins_expiring-","2027-01-01",{"lotId":"","coins":100,"expiresOn":"2027-01-01"}]',
  '["winback_offer-","2026-01-01",{"silenceDays":30,"offer":1}]',
  '["tier_at_risk-","2026-01-01",{"tier":"gold","tierReviewOn":"2027-01-01","pointsRequiredToRemain":1000}]',
  '["tier_downgraded-","2026-01-01",{"from":"platinum","to":"gold","reason":"review"}]',
  '["tier_downgraded-","2026-01-01",{"from":"gold","to":"silver","reason":"refund_revert"}]',
  '["segment_exited-","2026-01-01",{"segmentId":"gold-and-up-silent"}]',
  '["segment_entered-","2026-01-01",{"segmentId":"high-spend-weibo"}]',
  '["segment_exited-","2026-01-01",{"segmentId":"tier-gold"}]',
  '["segment_entered-","2026-01-01",{"segmentId":"tier-platinum"}]',
  '["tier_upgraded-","2026-01-01",{"from":"gold","to":"platinum","reason":"earn"}]',
  '["tier_upgraded-","2026-01-01",{"from":"silver","to":"gold","reason":"earn"}]',
  '["segment_exited-","2026-01-01",{"segmentId":"tier-silver"}]',
  '["segment_entered-","2026-01-01",{"segmentId":"tier-gold"}]',
  '["tier_upgraded-","2026-01-01",{"from":"member","to":"silver","reason":"earn"}]',
  '["segment_exited-","2026-01-01",{"segmentId":"tier-member"}]',
  '["segment_entered-","2026-01-01",{"segmentId":"tier-silver"}]',
];

/** Counter outboxes: a purchase moving tiers, days of a late purchase, lots made available. */
const COUNTS = [
  '["|d20000:_n@3=100,_t@3=100,_u@3=-100,_n@2=100,_t@2=100,_u@2=-100,_n@1=100,_t@1=100,_u@1=-100,',
  '_n=100,_t=100,_u=-100,_m=100,_u=100;t:_t=100,_u=-100|',
  'A0.100,A1.100,A2.100,A3.100,A4.100,A5.100,A6.100,A7.100,A8.100,A9.100,Aa.100,Ab.100,Ac.100|h",',
];

const LISTS = [
  '[["o-",20000,100,10000,["sku-"],100,"e-"]],',
  '"~20000:1:2:10000,1:10000,2:10000,3:10000","~20000:100,1:100,2:100,3:100",',
  '"20000:1,20001:2,20002:3,20003:4,20004:5"]\n',
];

/** The most frequent shape last: a day's counts with a tier move, then a day's activity. */
const FREQUENT = [
  '["|d20000:_m=1,_u=1,_0=1,_3=1,_1=1,_2=100,b1=1,_4=1,_5=1000,_6=1,tier0=-1,tier1=1,seg!tier-silver=1,',
  'seg!tier-member=-1,tier1=-1,tier2=1,seg!tier-gold=1,seg!tier-silver=-1,tier2=-1,tier3=1,seg!tier-platinum=1,',
  'seg!tier-gold=-1,pc29.29=1,b5=1;t:_u=1,tier0=-1,tier1=1,seg!tier-silver=1,seg!tier-member=-1;',
  'd20000:_0=1,_c=1,_f=1,_j=1,_k=-1,w6.6=1,m29.29=1,rd20000=1,ra20000.1.1=1,_3=1,_4=1,_5=1000,_6=1,_1=1,',
  '_2=100,b0=1,b2=1,b3=1,b4=1|A0.100,A1.100,a20000.1.100|h",null,',
];

export const PACKED_TEXTS_DICTIONARY_1 = Buffer.from([...COUNTS, '[', ACTIONS.join(','), '],', ...LISTS, ...FREQUENT].join(''), 'utf8');
