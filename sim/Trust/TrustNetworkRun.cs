using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Overlay.Crypto;
using Overlay.Placement;
using Overlay.Placement.Selection;
using Overlay.Placement.Trust;

namespace Overlay.Sim.Trust;

/// <summary>
/// The placement library driven by simulated interactions: every honest peer keeps a real
/// <see cref="LocalTrustLedger"/>, places objects each round with a real <see cref="ShardPlacer"/> over
/// candidates built from its own measurements, and observes how each chosen peer behaves under the threat
/// model; global trust is recomputed each round with <see cref="EigenTrust"/> over every peer's row (honest
/// rows from their ledgers, malicious rows as the model scripts them). Every node is assumed to collect every
/// row, so all honest peers compute one vector. With <see cref="TrustRecordMode.Plain"/> the rows go straight
/// into the matrix; otherwise they travel as signed records through a <see cref="TrustRecordExchange"/>,
/// beside records the malicious peers forge. One seed gives one run.
/// </summary>
internal sealed class TrustNetworkRun(TrustRunSettings settings, Func<int, int, double> rttMs)
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Random _random = new(settings.Seed);
    private PeerId[] _ids = [];
    private bool[] _malicious = [];
    private bool[] _spy = [];
    private bool[] _preTrusted = [];
    private int[] _ok = [];
    private int[] _failed = [];
    private LocalTrustLedger?[] _ledgers = [];
    private HashSet<PeerId> _maliciousIds = [];
    private NodeIdentity[] _identities = [];

    public TrustRunResult Run()
    {
        var wall = Stopwatch.StartNew();
        var s = settings;
        var n = s.Peers;
        AssignRoles();
        var uptime = new double[n];
        var free = new long[n];
        for (var i = 0; i < n; i++)
        {
            // Malicious peers look as good as they can on everything they control or can fake cheaply.
            uptime[i] = _malicious[i] ? 1.0 : 0.8 + (0.2 * _random.NextDouble());
            free[i] = _malicious[i] ? 4L << 40 : (50L << 30) + (long)(_random.NextDouble() * (950L << 30));
        }

        _ok = new int[n * n];
        _failed = new int[n * n];
        _ledgers = new LocalTrustLedger?[n];
        var placers = new ShardPlacer?[n];
        using var meter = new Meter("Overlay.Sim.Trust");
        var metrics = new PlacementMetrics(meter);
        for (var i = 0; i < n; i++)
        {
            if (!_malicious[i])
            {
                _ledgers[i] = new LocalTrustLedger(_ids[i], s.Options);
                placers[i] = new ShardPlacer(s.Options, new Random((s.Seed * 7919) + i), metrics);
            }
        }

        var scripted = ScriptedRows();
        using var exchange = s.Records == TrustRecordMode.Plain ? null : new TrustRecordExchange(s.Records, s.Options, _identities, _random);
        // Trust off: every eligible candidate weighs the same, under the same caps.
        var uniform = new PlacementOptions { TrustExponent = 0, PerformanceExponent = 0, CapacityExponent = 0 };
        var placementOptions = s.TrustOn ? s.Options : uniform;
        var candidates = new PlacementCandidate[n];
        var set = new WeightedCandidates();
        var chosen = new int[s.Options.MaxReplicas];
        var objectId = new byte[12];
        var load = new long[n];
        long placements = 0, onMalicious = 0, onMisbehaving = 0, onPreTrusted = 0, objects = 0, lost = 0, replicaSum = 0, raisedForDemand = 0;
        var rttSum = 0.0;
        var readLoad = new double[n];
        var maxReadsPerReplica = 0.0;
        // The replicas each honest peer placed in the last day, and whether their holder kept them.
        var window = s.ObjectsPerRound * s.Options.MaxReplicas * 24;
        var heldBy = new int[n][];
        var keptBy = new bool[n][];
        var placedSoFar = new int[n];
        var trust = TrustSnapshot.Empty;
        for (var round = 0; round < s.Rounds; round++)
        {
            var now = T0.AddHours(round);
            if (s.TrustOn)
            {
                trust = exchange is null ? ComputeTrust(now, scripted) : ComputeTrustFromRecords(now, scripted, exchange);
            }

            var measured = round >= s.Rounds / 2;
            for (var i = 0; i < n; i++)
            {
                if (_malicious[i])
                {
                    continue;
                }

                for (var b = 0; b < s.BackgroundExchanges; b++)
                {
                    var j = _random.Next(n - 1);
                    j += j >= i ? 1 : 0;
                    Observe(i, j, Behaves(j), now);
                }

                heldBy[i] ??= new int[window];
                keptBy[i] ??= new bool[window];
                for (var a = 0; a < s.AuditsPerRound && placedSoFar[i] > 0; a++)
                {
                    var slot = _random.Next(Math.Min(placedSoFar[i], window));
                    var holder = heldBy[i][slot];
                    Observe(i, holder, keptBy[i][slot] && Behaves(holder), now);
                }

                for (var j = 0; j < n; j++)
                {
                    var ok = _ok[(i * n) + j];
                    var tries = ok + _failed[(i * n) + j];
                    candidates[j] = new PlacementCandidate(_ids[j], (ulong)j + 1, 0, double.NaN, double.NaN,
                        rttMs(i, j), (ok + 1.0) / (tries + 2.0), uptime[j], free[j]);
                }

                set.Reset(candidates, s.TrustOn ? trust : TrustSnapshot.Empty, placementOptions);
                var failureReplicas = s.Replicas > 0 ? s.Replicas : ReplicationRule.ReplicasFor(s.Options, 0, set.ExpectedFailureRate);
                for (var k = 0; k < s.ObjectsPerRound; k++)
                {
                    // Without demand nothing is drawn, so those runs keep the random sequence (and the figures) they had.
                    var reads = s.PeakReadsPerHour > 0 ? s.PeakReadsPerHour / Math.Floor(Math.Pow(1000, _random.NextDouble())) : 0;
                    var replicas = s.Replicas > 0 ? s.Replicas : ReplicationRule.ReplicasFor(s.Options, reads, set.ExpectedFailureRate);
                    BinaryPrimitives.WriteInt32BigEndian(objectId, round);
                    BinaryPrimitives.WriteInt32BigEndian(objectId.AsSpan(4), i);
                    BinaryPrimitives.WriteInt32BigEndian(objectId.AsSpan(8), k);
                    var outcome = placers[i]!.Select(objectId, replicas, set, _ids[i], chosen);
                    var kept = 0;
                    for (var c = 0; c < outcome.Placed; c++)
                    {
                        var j = chosen[c];
                        var keeps = Keeps(j);
                        kept += keeps ? 1 : 0;
                        heldBy[i][placedSoFar[i] % window] = j;
                        keptBy[i][placedSoFar[i] % window] = keeps;
                        placedSoFar[i]++;
                        // The audit of a kept shard can still time out on an honest peer now and then.
                        Observe(i, j, keeps && Behaves(j), now);
                        if (measured)
                        {
                            placements++;
                            load[j]++;
                            rttSum += rttMs(i, j);
                            onMalicious += _malicious[j] ? 1 : 0;
                            onMisbehaving += _malicious[j] && !_spy[j] ? 1 : 0;
                            onPreTrusted += _preTrusted[j] ? 1 : 0;
                            readLoad[j] += reads / outcome.Placed;
                        }
                    }

                    if (measured)
                    {
                        objects++;
                        replicaSum += replicas;
                        lost += kept == 0 ? 1 : 0;
                        raisedForDemand += replicas > failureReplicas ? 1 : 0;
                        maxReadsPerReplica = outcome.Placed > 0 ? Math.Max(maxReadsPerReplica, reads / outcome.Placed) : maxReadsPerReplica;
                    }
                }
            }
        }

        foreach (var placer in placers)
        {
            placer?.Dispose();
        }

        var maliciousTrust = 0.0;
        var inflow = 0.0;
        var honest = 0;
        var end = T0.AddHours(s.Rounds);
        for (var i = 0; i < n; i++)
        {
            maliciousTrust += _malicious[i] ? trust.TrustOf(_ids[i]) : 0;
            if (!_malicious[i])
            {
                honest++;
                foreach (var entry in _ledgers[i]!.ToVector(end, s.Options.MaxRecordEntries).Entries)
                {
                    inflow += _maliciousIds.Contains(entry.Peer) ? entry.Value : 0;
                }
            }
        }


        var meanLoad = placements / (double)n;
        return new TrustRunResult(
            s,
            placements,
            onMalicious / (double)placements,
            onMisbehaving / (double)placements,
            lost / (double)objects,
            rttSum / placements,
            load.Max() / meanLoad,
            onPreTrusted / (double)placements,
            maliciousTrust,
            inflow / honest,
            trust.Run.Iterations,
            replicaSum / (double)objects,
            wall.Elapsed.TotalSeconds,
            exchange?.Metrics.RecordsAccepted ?? 0,
            exchange is null ? 0 : Enum.GetValues<TrustRecordRejection>().Where(r => r != TrustRecordRejection.None).Sum(exchange.Metrics.RecordsRejected),
            exchange?.ForgeriesTaken ?? 0,
            raisedForDemand / (double)objects,
            maxReadsPerReplica,
            readLoad.Sum() > 0 ? readLoad.Max() / (readLoad.Sum() / n) : 0);
    }

    private void AssignRoles()
    {
        var s = settings;
        var n = s.Peers;
        _ids = new PeerId[n];
        // Signed records need real identities; the plain runs keep random ids (and the numbers they gave).
        _identities = s.Records == TrustRecordMode.Plain ? [] : new NodeIdentity[n];
        for (var i = 0; i < n; i++)
        {
            if (s.Records == TrustRecordMode.Plain)
            {
                _ids[i] = PeerId.Random(_random);
            }
            else
            {
                _identities[i] = NodeIdentity.FromRandom(_random);
                _ids[i] = _identities[i].PeerId;
            }
        }

        var order = Enumerable.Range(0, n).ToArray();
        _random.Shuffle(order);
        var malicious = (int)Math.Round(s.MaliciousShare * n);
        var spies = s.Model == ThreatModel.D ? (int)Math.Round(s.SpyShare * malicious) : 0;
        _malicious = new bool[n];
        _spy = new bool[n];
        _preTrusted = new bool[n];
        for (var k = 0; k < malicious; k++)
        {
            _malicious[order[k]] = true;
            _spy[order[k]] = k < spies;
        }

        _maliciousIds = [.. Enumerable.Range(0, n).Where(i => _malicious[i]).Select(i => _ids[i])];
        for (var k = malicious; k < Math.Min(n, malicious + s.PreTrusted); k++)
        {
            _preTrusted[order[k]] = true;
        }
    }

    /// <summary>The rows malicious peers publish, fixed for the run.</summary>
    private LocalTrustVector?[] ScriptedRows()
    {
        var n = settings.Peers;
        var rows = new LocalTrustVector?[n];
        var members = Enumerable.Range(0, n).Where(i => _malicious[i]).ToArray();
        var droppers = members.Where(i => !_spy[i]).ToArray();
        var maxEntries = settings.Options.MaxRecordEntries;
        foreach (var m in members)
        {
            int[] named = settings.Model switch
            {
                // Independent: twenty peers drawn at random, no coordination.
                ThreatModel.A => [.. Enumerable.Range(0, 20).Select(_ => _random.Next(n))],
                // Spies and the others alike name only the members who drop shards.
                ThreatModel.D => droppers,
                _ => members,
            };
            var scores = named.Where(j => j != m).OrderBy(_ => _random.Next()).Take(maxEntries)
                .Select(j => new KeyValuePair<PeerId, double>(_ids[j], 1.0));
            rows[m] = LocalTrustVector.FromScores(_ids[m], scores, maxEntries);
        }

        return rows;
    }

    private TrustSnapshot ComputeTrust(DateTimeOffset now, LocalTrustVector?[] scripted)
    {
        var builder = new TrustMatrixBuilder();
        for (var i = 0; i < settings.Peers; i++)
        {
            builder.AddPeer(_ids[i]);
            builder.AddRow(_ids[i], scripted[i] ?? _ledgers[i]!.ToVector(now, settings.Options.MaxRecordEntries));
            if (_preTrusted[i])
            {
                builder.AddPreTrusted(_ids[i]);
            }
        }

        return EigenTrust.Compute(builder.Build(), settings.Options, now);
    }

    /// <summary>
    /// Global trust over signed records: every peer publishes its row, and every malicious peer forges one in
    /// the name of a pre-trusted peer, issued a second later so that only the signature check can stop it,
    /// giving that peer's trust to the members the model's rows favour (the forger alone in model A).
    /// </summary>
    private TrustSnapshot ComputeTrustFromRecords(DateTimeOffset now, LocalTrustVector?[] scripted, TrustRecordExchange exchange)
    {
        var n = settings.Peers;
        var maxEntries = settings.Options.MaxRecordEntries;
        for (var i = 0; i < n; i++)
        {
            exchange.Publish(_identities[i], scripted[i] ?? _ledgers[i]!.ToVector(now, maxEntries), now);
        }

        var preTrusted = Enumerable.Range(0, n).Where(i => _preTrusted[i]).ToArray();
        var favoured = Enumerable.Range(0, n).Where(i => _malicious[i] && (settings.Model != ThreatModel.D || !_spy[i])).ToArray();
        for (var m = 0; m < n && preTrusted.Length > 0; m++)
        {
            if (!_malicious[m])
            {
                continue;
            }

            var victim = _ids[preTrusted[_random.Next(preTrusted.Length)]];
            IEnumerable<int> named = settings.Model == ThreatModel.A ? [m] : favoured;
            var row = LocalTrustVector.FromScores(victim, named.Select(j => new KeyValuePair<PeerId, double>(_ids[j], 1.0)), maxEntries);
            exchange.Forge(_identities[m], victim, row, now.AddSeconds(1));
        }

        var builder = new TrustMatrixBuilder().AddRecords(exchange.Records());
        for (var i = 0; i < n; i++)
        {
            builder.AddPeer(_ids[i]);
            if (_preTrusted[i])
            {
                builder.AddPreTrusted(_ids[i]);
            }
        }

        return EigenTrust.Compute(builder.Build(), settings.Options, now);
    }

    /// <summary>
    /// Whether peer j keeps a shard it was given. A holder that dropped it fails every audit of it; one that
    /// kept it answers an audit as it answers any exchange (<see cref="Behaves"/>): a camouflaged member keeps
    /// a share f of its shards and, as in the paper's model C, handles each exchange well with chance f.
    /// </summary>
    private bool Keeps(int j) => !_malicious[j] || _spy[j] || (settings.Model == ThreatModel.C && _random.NextDouble() < settings.Camouflage);

    /// <summary>Whether an exchange with peer j goes well.</summary>
    private bool Behaves(int j) => _malicious[j] && !_spy[j]
        ? settings.Model == ThreatModel.C && _random.NextDouble() < settings.Camouflage
        : _random.NextDouble() >= settings.HonestFailure;

    private void Observe(int i, int j, bool satisfactory, DateTimeOffset now)
    {
        _ledgers[i]!.Record(_ids[j], satisfactory, now);
        if (satisfactory)
        {
            _ok[(i * settings.Peers) + j]++;
        }
        else
        {
            _failed[(i * settings.Peers) + j]++;
        }
    }
}
