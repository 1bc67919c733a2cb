using System.Net;
using Overlay.Transport.Admission;
using Overlay.Transport.InMemory;

namespace Overlay.Transport.Tests.Admission;

public sealed class InboundAdmissionTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;
    private static readonly IPAddress Public = IPAddress.Parse("203.0.113.7");
    private readonly VirtualTimeProvider _clock = new();

    [Theory]
    [InlineData("127.0.0.1", 1000)]
    [InlineData("127.3.2.1", 1000)]
    [InlineData("::1", 1000)]
    [InlineData("::ffff:127.0.0.1", 1000)]
    [InlineData("10.1.2.3", 256)]
    [InlineData("172.16.0.9", 256)]
    [InlineData("192.168.7.7", 256)]
    [InlineData("169.254.1.1", 256)]
    [InlineData("fd12::1", 256)]
    [InlineData("fe80::1", 256)]
    [InlineData("203.0.113.7", 16)]
    [InlineData("172.32.0.1", 16)]
    [InlineData("2001:db8::1", 16)]
    public void TryAdmit_WithDefaults_AnAddressHoldsItsScopesLimitOfAuthenticatedConnections(string address, int limit)
    {
        var admission = new InboundAdmission(new TransportOptions(), _clock);
        var remote = IPAddress.Parse(address);
        var shed = new List<AdmissionTicket>();
        for (var i = 0; i < limit; i++)
        {
            var ticket = admission.TryAdmit(remote, shed, out _);
            Assert.NotNull(ticket);
            Assert.True(admission.Authenticated(ticket));
        }

        Assert.Null(admission.TryAdmit(remote, shed, out var refusal));
        Assert.Equal(RefusalReason.AddressLimit, refusal.Reason);
        Assert.Equal(limit, refusal.Limit);
        Assert.Equal("address_limit", refusal.Token);
        Assert.Empty(shed);
        Assert.Equal(limit, admission.EstablishedCount);
    }

    [Fact]
    public void TryAdmit_SeventeenFromLoopbackWithDefaults_AdmitsEveryOne()
    {
        var admission = new InboundAdmission(new TransportOptions(), _clock);
        var shed = new List<AdmissionTicket>();
        for (var i = 0; i < 40; i++)
        {
            var ticket = admission.TryAdmit(Loopback, shed, out _);
            Assert.NotNull(ticket);
            Assert.True(admission.Authenticated(ticket));
        }

        Assert.Empty(shed);
    }

    [Fact]
    public void TryAdmit_AddressAtItsLimitWithPendingConnections_ShedsItsOwnOldestPendingInsteadOfTheNewcomer()
    {
        var admission = new InboundAdmission(new TransportOptions { MaxConnectionsPerAddress = 3 }, _clock);
        var shed = new List<AdmissionTicket>();
        var established = admission.TryAdmit(Public, shed, out _)!;
        Assert.True(admission.Authenticated(established));
        var silent1 = admission.TryAdmit(Public, shed, out _)!;
        var silent2 = admission.TryAdmit(Public, shed, out _)!;

        // Within the grace the newcomer is refused; after it, the oldest silent connection makes room.
        Assert.Null(admission.TryAdmit(Public, shed, out var early));
        Assert.Equal(RefusalReason.AddressLimit, early.Reason);
        Assert.Empty(shed);
        _clock.Advance(InboundAdmission.AddressShedGrace);
        var newcomer = admission.TryAdmit(Public, shed, out _);

        Assert.NotNull(newcomer);
        var victim = Assert.Single(shed);
        Assert.Same(silent1, victim);
        Assert.False(victim.Shed.IsCancellationRequested, "the caller signals outside the lock");
        victim.SignalShed();
        Assert.True(victim.Shed.IsCancellationRequested);
        Assert.Equal(RefusalReason.PendingLimit, victim.ShedReason!.Value.Reason);
        Assert.False(admission.Authenticated(victim));
        Assert.True(admission.Authenticated(silent2));
        Assert.True(admission.Authenticated(newcomer));

        // Every slot now holds an authenticated connection: the next is refused.
        shed.Clear();
        Assert.Null(admission.TryAdmit(Public, shed, out var refusal));
        Assert.Equal(RefusalReason.AddressLimit, refusal.Reason);
        Assert.Empty(shed);
    }

    [Fact]
    public void TryAdmit_SilentConnectionsOverTheirBudget_ShedTheOldestSilentOfAnyAddress_NeverAHandshake()
    {
        // One handshake at a time; sixteen connections that have sent nothing.
        var admission = new InboundAdmission(new TransportOptions { MaxPendingHandshakes = 1 }, _clock);
        var silentBudget = InboundAdmission.SilentPerHandshake;
        var shed = new List<AdmissionTicket>();
        var handshake = admission.TryAdmit(Public, shed, out _)!;
        admission.Speaking(handshake, shed);
        var silent = new List<AdmissionTicket>();
        for (var i = 0; i < silentBudget; i++)
        {
            silent.Add(admission.TryAdmit(IPAddress.Parse($"198.51.100.{i + 1}"), shed, out _)!);
        }

        Assert.Empty(shed);
        Assert.NotNull(admission.TryAdmit(Loopback, shed, out _));
        Assert.NotNull(admission.TryAdmit(Loopback, shed, out _));

        Assert.Equal([silent[0], silent[1]], shed);
        Assert.All(shed, t => Assert.Equal(silentBudget, t.ShedReason!.Value.Limit));
        Assert.Equal(silentBudget + 1, admission.PendingCount);
        Assert.Equal(1, admission.HandshakingCount);
        Assert.True(admission.Authenticated(handshake));
    }

    [Fact]
    public void Speaking_OverTheHandshakeBudget_ShedsTheOldestHandshake()
    {
        var admission = new InboundAdmission(new TransportOptions { MaxPendingHandshakes = 2 }, _clock);
        var shed = new List<AdmissionTicket>();
        var a = admission.TryAdmit(IPAddress.Parse("198.51.100.1"), shed, out _)!;
        var b = admission.TryAdmit(IPAddress.Parse("198.51.100.2"), shed, out _)!;
        var c = admission.TryAdmit(IPAddress.Parse("198.51.100.3"), shed, out _)!;

        admission.Speaking(b, shed);
        admission.Speaking(a, shed);
        Assert.Empty(shed);
        admission.Speaking(c, shed);

        Assert.Same(a, Assert.Single(shed));
        Assert.Equal(2, admission.HandshakingCount);
        Assert.True(admission.Authenticated(b));
        Assert.True(admission.Authenticated(c));
    }

    [Fact]
    public void TryAdmit_OldestSilentWhoseBytesHaveArrived_IsMovedToTheHandshakesInsteadOfShed()
    {
        // Under a flood the task that would report its first bytes may not have run: the connection is asked.
        var admission = new InboundAdmission(new TransportOptions { MaxPendingHandshakes = 1 }, _clock);
        var shed = new List<AdmissionTicket>();
        var spoke = admission.TryAdmit(Loopback, shed, out _, hasSpoken: () => true)!;
        var silent = new List<AdmissionTicket>();
        for (var i = 1; i < InboundAdmission.SilentPerHandshake; i++)
        {
            silent.Add(admission.TryAdmit(IPAddress.Parse($"198.51.100.{i}"), shed, out _, hasSpoken: () => false)!);
        }

        Assert.NotNull(admission.TryAdmit(Public, shed, out _));

        Assert.Same(silent[0], Assert.Single(shed));
        Assert.Equal(1, admission.HandshakingCount);
        Assert.True(admission.Authenticated(spoke));
    }

    [Fact]
    public void TryAdmit_AddressAtItsLimit_ShedsItsSilentConnectionBeforeItsSpeakingOlderOne()
    {
        var admission = new InboundAdmission(new TransportOptions { MaxConnectionsPerAddress = 2 }, _clock);
        var shed = new List<AdmissionTicket>();
        var older = admission.TryAdmit(Public, shed, out _)!;
        var silent = admission.TryAdmit(Public, shed, out _)!;
        admission.Speaking(older, shed);
        _clock.Advance(InboundAdmission.AddressShedGrace);

        Assert.NotNull(admission.TryAdmit(Public, shed, out _));
        Assert.Same(silent, Assert.Single(shed));
        Assert.True(admission.Authenticated(older));
    }

    [Fact]
    public void Release_Twice_CountsOnce_AndEmptiedAddressesAreForgotten()
    {
        var admission = new InboundAdmission(new TransportOptions(), _clock);
        var shed = new List<AdmissionTicket>();
        var a = admission.TryAdmit(Public, shed, out _)!;
        var b = admission.TryAdmit(Public, shed, out _)!;
        Assert.True(admission.Authenticated(a));

        admission.Release(a);
        admission.Release(a);
        admission.Release(b);
        admission.Release(b);

        Assert.Equal(0, admission.EstablishedCount);
        Assert.Equal(0, admission.PendingCount);
        Assert.Equal(0, admission.AddressCount);
        Assert.False(admission.Authenticated(b));
    }

    [Fact]
    public void TryAdmit_SheddingTheOnlyConnectionOfTheNewcomersAddress_KeepsTheNewcomerCounted()
    {
        var admission = new InboundAdmission(new TransportOptions { MaxConnectionsPerAddress = 1, MaxPendingHandshakes = 1 }, _clock);
        var shed = new List<AdmissionTicket>();
        var first = admission.TryAdmit(Public, shed, out _)!;
        _clock.Advance(InboundAdmission.AddressShedGrace);
        var second = admission.TryAdmit(Public, shed, out _)!;

        Assert.Same(first, Assert.Single(shed));
        Assert.Equal(1, admission.AddressCount);
        Assert.True(admission.Authenticated(second));
        shed.Clear();
        Assert.Null(admission.TryAdmit(Public, shed, out _));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryAdmit_SeededRandomArrivalsAndDepartures_KeepEveryLimitAndForgetEveryAddress(int seed)
    {
        var options = new TransportOptions { MaxConnectionsPerAddress = 5, MaxConnectionsPerPrivateAddress = 7, MaxPendingHandshakes = 2 };
        var admission = new InboundAdmission(options, _clock);
        var random = new Random(seed);
        var addresses = new[] { "203.0.113.1", "203.0.113.2", "198.51.100.9", "10.0.0.1", "192.168.1.1", "127.0.0.1" }.Select(IPAddress.Parse).ToArray();
        var live = new List<AdmissionTicket>();
        var shed = new List<AdmissionTicket>();
        for (var step = 0; step < 20_000; step++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(random.Next(200)));
            var roll = random.Next(10);
            if (roll < 5 || live.Count == 0)
            {
                var ticket = admission.TryAdmit(addresses[random.Next(addresses.Length)], shed, out _);
                foreach (var s in shed)
                {
                    Assert.Equal(TicketState.Shed, s.State);
                    live.Remove(s);
                }

                shed.Clear();
                if (ticket is not null)
                {
                    live.Add(ticket);
                }
            }
            else if (roll < 7)
            {
                admission.Speaking(live[random.Next(live.Count)], shed);
                foreach (var gone in shed)
                {
                    live.Remove(gone);
                }

                shed.Clear();
            }
            else if (roll < 8)
            {
                var t = live[random.Next(live.Count)];
                admission.Authenticated(t);
            }
            else
            {
                var t = live[random.Next(live.Count)];
                admission.Release(t);
                live.Remove(t);
            }

            Assert.True(admission.HandshakingCount <= options.MaxPendingHandshakes);
            Assert.True(admission.PendingCount - admission.HandshakingCount <= options.MaxPendingHandshakes * InboundAdmission.SilentPerHandshake);
            foreach (var group in live.GroupBy(t => t.Remote))
            {
                Assert.True(group.Count() <= options.MaxConnectionsPer(AddressScopes.Of(group.Key)), $"{group.Key} holds {group.Count()}");
            }

            Assert.Equal(live.Count(t => t.State == TicketState.Pending), admission.PendingCount);
            Assert.Equal(live.Count(t => t.State == TicketState.Established), admission.EstablishedCount);
        }

        foreach (var t in live)
        {
            admission.Release(t);
        }

        Assert.Equal(0, admission.AddressCount);
        Assert.Equal(0, admission.PendingCount);
        Assert.Equal(0, admission.EstablishedCount);
    }
}
