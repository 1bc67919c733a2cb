using Overlay.Crypto;

namespace Overlay.Placement.Tests;

public sealed class PlacementOptionsTests
{
    [Fact]
    public void Defaults_AreValid() => Assert.Empty(new PlacementOptions().Validate());

    [Theory]
    [InlineData("PreTrustWeight", "'Placement:PreTrustWeight' is 0; it must be between 0.01 and 0.99.")]
    [InlineData("PreTrustedPeers", "'Placement:PreTrustedPeers' is 'not-a-peer'; each entry must be a PeerId")]
    [InlineData("MaxIterations", "'Placement:MaxIterations' is 0; it must be between 1 and 1000.")]
    [InlineData("LocalTrustHalfLife", "'Placement:LocalTrustHalfLife' is 00:00:00; it must be between 00:01:00 and 365.00:00:00.")]
    [InlineData("NewcomerShare", "'Placement:NewcomerShare' is NaN; it must be between 0 and 0.5.")]
    [InlineData("RequestEvidenceWeight", "'Placement:RequestEvidenceWeight' is -0.5; it must be between 0 and 1.")]
    [InlineData("LostShardEvidenceWeight", "'Placement:LostShardEvidenceWeight' is 0.5; it must be between 1 and 64.")]
    [InlineData("CheckPassedEvidenceWeight", "'Placement:CheckPassedEvidenceWeight' is Infinity; it must be between 0 and 1.")]
    [InlineData("BaseReplicas", "'Placement:BaseReplicas' is 30; it must be between 1 and 20 (Placement:MaxReplicas).")]
    [InlineData("CapacityReferenceBytes", "'Placement:CapacityReferenceBytes' is 5; it must be between 1048576 and 1125899906842624.")]
    [InlineData("PreTrustedPeerShareCap", "'Placement:PreTrustedPeerShareCap' is 0.6; it must be between 0.01 and 0.5.")]
    [InlineData("HolderShareCap", "'Placement:HolderShareCap' is 0.5; it must be between 1 and 1000.")]
    public void Validate_BadValue_NamesKeyValueAndAllowed(string key, string expected)
    {
        var options = new PlacementOptions();
        switch (key)
        {
            case "PreTrustWeight": options.PreTrustWeight = 0; break;
            case "PreTrustedPeers": options.PreTrustedPeers.Add("not-a-peer"); break;
            case "MaxIterations": options.MaxIterations = 0; break;
            case "LocalTrustHalfLife": options.LocalTrustHalfLife = TimeSpan.Zero; break;
            case "NewcomerShare": options.NewcomerShare = double.NaN; break;
            case "RequestEvidenceWeight": options.RequestEvidenceWeight = -0.5; break;
            case "LostShardEvidenceWeight": options.LostShardEvidenceWeight = 0.5; break;
            case "CheckPassedEvidenceWeight": options.CheckPassedEvidenceWeight = double.PositiveInfinity; break;
            case "BaseReplicas": options.BaseReplicas = 30; break;
            case "CapacityReferenceBytes": options.CapacityReferenceBytes = 5; break;
            case "PreTrustedPeerShareCap": options.PreTrustedPeerShareCap = 0.6; break;
            case "HolderShareCap": options.HolderShareCap = 0.5; break;
        }

        var problems = options.Validate();
        Assert.Single(problems);
        Assert.StartsWith(expected, problems[0], StringComparison.Ordinal);
    }

    [Fact]
    public void ParsePreTrustedPeers_ValidIds_AreParsed()
    {
        var id = TestPeers.Id(3);
        var options = new PlacementOptions { PreTrustedPeers = [id.ToString()] };
        Assert.Empty(options.Validate());
        Assert.Equal([id], options.ParsePreTrustedPeers());
    }

    [Fact]
    public void ResolvePreTrustedPeers_NoneConfigured_AreTheBootstrapPeers_ConfiguredReplaceThem()
    {
        PeerId[] bootstrap = [TestPeers.Id(1), TestPeers.Id(2), TestPeers.Id(1)];
        Assert.Equal([TestPeers.Id(1), TestPeers.Id(2)], new PlacementOptions().ResolvePreTrustedPeers(bootstrap));

        var configured = new PlacementOptions { PreTrustedPeers = [TestPeers.Id(7).ToString()] };
        Assert.Equal([TestPeers.Id(7)], configured.ResolvePreTrustedPeers(bootstrap));
    }
}
