"""The callback store's Lua scripts (``callback_store.CallbackStore`` runs
them; its docstring lists the keys). Each change is one script, so a crash
between two writes cannot leave a callback half moved."""

# ARGV: P, number, now, topic, note, agent, source, deadline, due, language,
#       booking, promise, promise_from, promise_by, room_from, room_to, capacity
#       ('' : no room check).
# A booking whose grid slot [room_from, room_to) already holds capacity waiting
# callbacks (the number's own one aside) is refused ('full'); a repeat request
# for a number with an open callback updates it, and a booking moves it to the
# new slot (not while it is being dialled: 'dialling').
CREATE = """
local P, number, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local topic, note, agent, source = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local deadline, due = tonumber(ARGV[8]), tonumber(ARGV[9])
local language = ARGV[10] or ''
local booking, promise = ARGV[11] or '', ARGV[12] or ''
local promise_from, promise_by = ARGV[13] or '', ARGV[14] or ''
local room_from, room_to = tonumber(ARGV[15] or ''), tonumber(ARGV[16] or '')
local capacity = tonumber(ARGV[17] or '')
-- Due now: ready, by deadline; due later: waiting, by due time. Open either way.
local function queue(id)
  if due <= now then
    redis.call('ZADD', P .. ':ready', deadline, id)
  else
    redis.call('ZADD', P .. ':waiting', due, id)
  end
  redis.call('ZADD', P .. ':open', deadline, id)
end
local existing = redis.call('GET', P .. ':number:' .. number)
if capacity then
  local taken = redis.call('ZCOUNT', P .. ':waiting', room_from, '(' .. room_to)
  local mine = existing and tonumber(redis.call('ZMSCORE', P .. ':waiting', existing)[1])
  if mine and mine >= room_from and mine < room_to then taken = taken - 1 end
  if taken >= capacity then return {'', 'full'} end
end
if existing then
  local key = P .. ':' .. existing
  local status = redis.call('HGET', key, 'status')
  if status == 'open' or status == 'dialling' then
    if topic ~= '' then redis.call('HSET', key, 'topic', topic) end
    if note ~= '' then redis.call('HSET', key, 'note', note) end
    if language ~= '' then redis.call('HSET', key, 'language', language) end
    redis.call('HSET', key, 'updated', now)
    redis.call('XADD', P .. ':log:' .. existing, '*', 'event', 'updated', 'at', now,
               'topic', topic, 'note', note, 'agent', agent, 'source', source)
    if booking == '' then return {existing, 'updated'} end
    if status ~= 'open' then return {existing, 'dialling'} end
    redis.call('HSET', key, 'deadline', deadline, 'due', due, 'booking', booking,
               'promise', promise, 'promise_from', promise_from, 'promise_by', promise_by)
    redis.call('ZREM', P .. ':ready', existing)
    redis.call('ZREM', P .. ':waiting', existing)
    queue(existing)
    redis.call('XADD', P .. ':log:' .. existing, '*', 'event', 'booked', 'at', now,
               'deadline', deadline, 'due', due, 'booking', booking)
    return {existing, 'booked'}
  end
end
local id = 'cb' .. redis.call('INCR', P .. ':seq')
local key = P .. ':' .. id
redis.call('HSET', key, 'id', id, 'number', number, 'topic', topic, 'note', note,
           'agent', agent, 'source', source, 'status', 'open', 'created', now, 'updated', now,
           'deadline', deadline, 'due', due, 'attempts', 0, 'tries', 0, 'fence', 0,
           'reason', 'waiting', 'language', language, 'booking', booking, 'promise', promise,
           'promise_from', promise_from, 'promise_by', promise_by)
redis.call('SET', P .. ':number:' .. number, id)
queue(id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', 'created', 'at', now, 'number', number,
           'topic', topic, 'note', note, 'agent', agent, 'source', source,
           'deadline', deadline, 'due', due, 'booking', booking)
return {id, 'created'}
"""

# A callback's place in the ready set: its deadline, or 0 when what is stored
# is not a number (then the next claim takes it first and refuses it, rather
# than one bad record stopping every promotion and claim).
SCORE_FN = """
local function score(value)
  local n = tonumber(value)
  if not n or n ~= n then return 0 end
  return n
end
"""

# Moves up to ``limit`` callbacks that have fallen due from waiting to ready
# (scored by deadline), in four commands whatever the batch: a claim then
# takes the earliest deadline among everything due once waiting holds no
# due callback (the dialer promotes until then before it claims).
PROMOTE_FN = SCORE_FN + """
local function promote(P, now, limit)
  local due = redis.call('ZRANGEBYSCORE', P .. ':waiting', '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  local deadlines = redis.call('ZMSCORE', P .. ':open', unpack(due))
  local args = {}
  for i, id in ipairs(due) do
    args[2 * i - 1] = score(deadlines[i] or redis.call('HGET', P .. ':' .. id, 'deadline'))
    args[2 * i] = id
  end
  redis.call('ZADD', P .. ':ready', unpack(args))
  redis.call('ZREM', P .. ':waiting', unpack(due))
  return #due
end
"""

# ARGV: P, now, limit. Returns how many due callbacks still wait.
PROMOTE = PROMOTE_FN + """
local P, now = ARGV[1], tonumber(ARGV[2])
promote(P, now, tonumber(ARGV[3]))
return redis.call('ZCOUNT', P .. ':waiting', '-inf', now)
"""

# Shared by the scripts that end a callback: out of every queue, and the
# number free for a new request. ``keep`` runs last (after the stream's
# entry for this ending, so that a stream it creates gets the TTL too).
RETIRE = """
local function keep(P, key, id, retention)
  redis.call('EXPIRE', key, retention)
  redis.call('EXPIRE', P .. ':log:' .. id, retention)
end
local function retire(P, key, id)
  redis.call('ZREM', P .. ':waiting', id)
  redis.call('ZREM', P .. ':ready', id)
  redis.call('ZREM', P .. ':open', id)
  redis.call('ZREM', P .. ':leases', id)
  local number = redis.call('HGET', key, 'number')
  if number and redis.call('GET', P .. ':number:' .. number) == id then
    redis.call('DEL', P .. ':number:' .. number)
  end
end
"""

# Why a due callback's record cannot be one the controller wrote under its
# key (nil: it can), and its fields. The same checks, order and words as
# ``records.disagreement``.
CHECK_FN = """
local function disagreement(key, id)
  local flat = redis.call('HGETALL', key)
  local why = 'stored record disagrees with its key: '
  if #flat == 0 then return why .. 'no record under its key' end
  if #id > 20 or not string.match(id, '^cb[1-9]%d*$') then
    return why .. 'its key is not a callback id (cb and digits)'
  end
  local r = {}
  for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
  if r['id'] ~= id then return why .. 'its id field differs from its key' end
  if r['status'] ~= 'open' then return why .. 'its status is not open' end
  for _, name in ipairs({'fence', 'tries', 'attempts'}) do
    local v = r[name]
    if not v or #v > 9 or not string.match(v, '^%d+$') then
      return why .. 'its ' .. name .. ' is not a count'
    end
  end
  local d = r['deadline'] or ''
  if #d > 40 or not (string.match(d, '^%d+$') or string.match(d, '^%d+%.%d+$')) then
    return why .. 'its deadline is not a time'
  end
  return nil, r
end
-- desk.callback.claim_refusal, word for word.
local function used_up(attempts, tries, max_attempts, max_tries)
  if attempts >= max_attempts then
    return string.format('its %d attempt(s) at the customer are used up (at most %d)',
                         attempts, max_attempts)
  end
  if tries >= max_tries then
    return string.format('claimed %d times already (at most %d)', tries, max_tries)
  end
  return nil
end
"""

# ARGV: P, now, lease, owner, max_attempts, max_tries, retention. Returns
# false (nothing due), {'claimed', id, field, value, ...} (the id is the
# key's), or {'refused', id, why, reason}: a record the controller cannot
# have written, or whose tries are used up, ends failed here and is never
# handed out (not-placed, as the dialer's own refusals).
CLAIM = PROMOTE_FN + RETIRE + CHECK_FN + """
local P, now, lease, owner = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
promote(P, now, 100)
local first = redis.call('ZPOPMIN', P .. ':ready')
if #first == 0 then return false end
local id = first[1]
local key = P .. ':' .. id
local why, reason = 'record-mismatch', nil
local problem, r = disagreement(key, id)
if problem then
  reason = problem
else
  why = 'used-up'
  reason = used_up(tonumber(r['attempts']), tonumber(r['tries']), tonumber(ARGV[5]),
                   tonumber(ARGV[6]))
end
if reason then
  if redis.call('EXISTS', key) == 1 then
    redis.call('HSET', key, 'status', 'failed', 'reason', reason, 'last_outcome', 'not-placed',
               'updated', now, 'owner', '', 'lease_until', '')
    retire(P, key, id)
    redis.call('XADD', P .. ':log:' .. id, '*', 'event', 'not-placed', 'at', now,
               'outcome', 'not-placed', 'status', 'failed', 'reason', reason)
    keep(P, key, id, tonumber(ARGV[7]))
  else
    retire(P, key, id)
  end
  return {'refused', id, why, reason}
end
local fence = redis.call('HINCRBY', key, 'fence', 1)
redis.call('HINCRBY', key, 'tries', 1)
redis.call('HSET', key, 'status', 'dialling', 'lease_until', now + lease, 'owner', owner,
           'updated', now)
redis.call('ZADD', P .. ':leases', now + lease, id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', 'claimed', 'at', now, 'fence', fence,
           'owner', owner)
local out = {'claimed', id}
for _, v in ipairs(redis.call('HGETALL', key)) do out[#out + 1] = v end
return out
"""

# A lease entry with nothing to recover behind it (no record, or one no longer
# being dialled): only the entry goes, so that it is not looked at again.
FORGET_LEASE = """
local P, id = ARGV[1], ARGV[2]
if redis.call('HGET', P .. ':' .. id, 'status') == 'dialling' then return 0 end
return redis.call('ZREM', P .. ':leases', id)
"""

FINISH = SCORE_FN + RETIRE + """
-- ARGV: P, id, fence, now, status, due, reason, outcome, reached(0/1), sla,
--       first_dialled, answered_at, event, retention
local P, id, fence, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local status, due, reason, outcome = ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local key = P .. ':' .. id
if redis.call('EXISTS', key) == 0 then return 'missing' end
if redis.call('HGET', key, 'fence') ~= fence then return 'stale' end
-- Said twice (the first reply was lost with the connection): recorded once.
if redis.call('HGET', key, 'ended_fence') == fence then
  return redis.call('HGET', key, 'status')
end
redis.call('ZREM', P .. ':leases', id)
if ARGV[9] == '1' then redis.call('HINCRBY', key, 'attempts', 1) end
if ARGV[10] ~= '' then redis.call('HSET', key, 'sla', ARGV[10]) end
if ARGV[11] ~= '' and not redis.call('HGET', key, 'first_dialled') then
  redis.call('HSET', key, 'first_dialled', ARGV[11])
end
if ARGV[12] ~= '' then redis.call('HSET', key, 'answered_at', ARGV[12]) end
if outcome ~= '' then redis.call('HSET', key, 'last_outcome', outcome) end
local current = redis.call('HGET', key, 'status')
if current ~= 'open' and current ~= 'dialling' then
  -- cancelled or served while the attempt ran: keep that ending
  status = current
end
redis.call('HSET', key, 'status', status, 'reason', reason, 'updated', now, 'owner', '',
           'lease_until', '', 'ended_fence', fence)
if status == 'open' then
  redis.call('HSET', key, 'due', due)
  if due <= now then
    redis.call('ZADD', P .. ':ready', score(redis.call('HGET', key, 'deadline')), id)
  else
    redis.call('ZADD', P .. ':waiting', due, id)
  end
else
  retire(P, key, id)
end
redis.call('XADD', P .. ':log:' .. id, '*', 'event', ARGV[13], 'at', now, 'fence', fence,
           'outcome', outcome, 'status', status, 'reason', reason)
if status ~= 'open' then keep(P, key, id, tonumber(ARGV[14])) end
return status
"""

END = RETIRE + """
-- Cancel or mark served, unless already finished.
-- ARGV: P, id, now, status, reason, only_open, retention
local P, id, now, status, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local key = P .. ':' .. id
local current = redis.call('HGET', key, 'status')
if not current then return 'missing' end
if current ~= 'open' and current ~= 'dialling' then return 'ended:' .. current end
if ARGV[6] == '1' and current ~= 'open' then return 'busy:' .. current end
redis.call('HSET', key, 'status', status, 'reason', reason, 'updated', now)
retire(P, key, id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', status, 'at', now, 'reason', reason)
keep(P, key, id, tonumber(ARGV[7]))
return status
"""

EXTEND = """
local P, id, fence, until_ = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = P .. ':' .. id
if redis.call('HGET', key, 'fence') ~= fence then return 0 end
if redis.call('HGET', key, 'status') ~= 'dialling' then return 0 end
redis.call('HSET', key, 'lease_until', until_)
redis.call('ZADD', P .. ':leases', until_, id)
return 1
"""
