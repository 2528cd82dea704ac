using System.Reflection;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>
/// Every test that starts a cluster runs alone: xUnit runs test classes outside a collection side by side, and on CI's
/// two cores a unit test beside a cluster test starved it (a read on a new leader ran out of its command timeout
/// while a spinning test held both cores). The cluster collection is run serially, after the parallel classes.
/// </summary>
public sealed class TestIsolationTests
{
    [Fact]
    public void EveryClassThatStartsATestCluster_IsInTheClusterCollection()
    {
        var starters = new SortedSet<string>(StringComparer.Ordinal);
        var offenders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in typeof(TestIsolationTests).Assembly.GetTypes())
        {
            // An async test's body is a nested state machine: the class it belongs to is the outermost one.
            var owner = type;
            while (owner.DeclaringType is { } declaring)
                owner = declaring;
            if (owner == typeof(TestCluster))
                continue;
            var starts = IlCalls.Bodies(type)
                .SelectMany(method => IlCalls.Callees(type, method))
                .Any(static callee => callee.DeclaringType == typeof(TestCluster) && callee.Name is nameof(TestCluster.StartAsync) or nameof(TestCluster.Create));
            if (!starts)
                continue;
            starters.Add(owner.Name);
            // xUnit's attribute keeps its name only as the constructor's argument.
            var collection = owner.CustomAttributes.FirstOrDefault(static a => a.AttributeType == typeof(CollectionAttribute));
            if (collection?.ConstructorArguments is not [{ Value: ClusterCollection.Name }])
                offenders.Add(owner.FullName!);
        }

        Assert.NotEmpty(starters);
        Assert.Empty(offenders);
    }
}
