using System.Net;
using RaftKV.Node.Security;

namespace RaftKV.Node.Tests;

/// <summary>Who protected mode serves, decided per connection from the listener, the client and the settings.</summary>
public sealed class ProtectedModeDecisionTests
{
    private static readonly IPAddress Outside = IPAddress.Parse("10.1.2.3");
    private static readonly IPAddress Member = IPAddress.Parse("10.1.2.4");

    [Theory]
    [InlineData("0.0.0.0", "10.1.2.3", "Deny")]
    [InlineData("::", "10.1.2.3", "Deny")]
    [InlineData("::", "::ffff:10.1.2.3", "Deny")]
    [InlineData("0.0.0.0", "127.0.0.1", "Serve")]
    [InlineData("::", "::1", "Serve")]
    [InlineData("::", "::ffff:127.0.0.1", "Serve")]
    [InlineData("0.0.0.0", "127.0.0.2", "Deny")] // Redis compares with "127.0.0.1" and "::1" only.
    [InlineData("10.1.2.1", "10.1.2.3", "Serve")] // explicitly bound: the operator chose the network
    [InlineData("127.0.0.1", "127.0.0.1", "Serve")]
    [InlineData("0.0.0.0", "10.1.2.4", "HandshakeOnly")] // a member's address: forwarding connections
    public void Decide_ByListenerAndClientAddress(string listener, string client, string expected) =>
        Assert.Equal(Enum.Parse<ProtectedModeVerdict>(expected), ProtectedMode.Decide(enabled: true, defaultUserHasPassword: false, IPAddress.Parse(listener), IPAddress.Parse(client), [Member]));

    [Fact]
    public void Decide_ProtectedModeOff_ServesEveryone() =>
        Assert.Equal(ProtectedModeVerdict.Serve, ProtectedMode.Decide(enabled: false, defaultUserHasPassword: false, IPAddress.Any, Outside, []));

    [Fact]
    public void Decide_DefaultUserHasAPassword_ServesEveryone() =>
        Assert.Equal(ProtectedModeVerdict.Serve, ProtectedMode.Decide(enabled: true, defaultUserHasPassword: true, IPAddress.Any, Outside, []));

    [Fact]
    public void Decide_UnknownClientAddress_IsDenied() =>
        Assert.Equal(ProtectedModeVerdict.Deny, ProtectedMode.Decide(enabled: true, defaultUserHasPassword: false, IPAddress.Any, null, []));
}
