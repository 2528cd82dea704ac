using System.Reflection;
using RaftKV.Node.Tests.Infrastructure;

namespace RaftKV.Node.Tests;

/// <summary>DESIGN.md's reference rules, checked on the built assemblies.</summary>
public sealed class ArchitectureTests
{
    private static readonly Assembly Protocol = typeof(RaftKV.Protocol.Replies.Reply).Assembly;
    private static readonly Assembly StateMachine = typeof(RaftKV.StateMachine.KeyValueStore).Assembly;
    private static readonly Assembly Node = typeof(NodeHost).Assembly;

    private static string[] References(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(static a => a.Name!).Order(StringComparer.Ordinal).ToArray();

    private static bool IsBcl(string name) => name is "netstandard" or "mscorlib" || name.StartsWith("System", StringComparison.Ordinal);

    [Fact]
    public void Protocol_ReferencesOnlyTheBcl()
    {
        var forbidden = References(Protocol).Where(static n => !IsBcl(n) || n.StartsWith("System.Net", StringComparison.Ordinal)).ToArray();
        Assert.Empty(forbidden);
    }

    [Fact]
    public void StateMachine_ReferencesOnlyProtocolKeraLuaAndTheBcl_NoNetworkNoDotNext()
    {
        // KeraLua (the Lua 5.4 C API) runs scripts inside the state machine, at apply on every replica.
        var forbidden = References(StateMachine)
            .Where(static n => !(IsBcl(n) || n == "RaftKV.Protocol" || n == "KeraLua"))
            .Concat(References(StateMachine).Where(static n => n.StartsWith("System.Net", StringComparison.Ordinal) || n.Contains("Threading.Thread", StringComparison.Ordinal)))
            .ToArray();
        Assert.Empty(forbidden);
        Assert.Contains("RaftKV.Protocol", References(StateMachine));
    }

    [Fact]
    public void Node_IsTheOnlyProjectThatKnowsDotNext()
    {
        Assert.Contains(References(Node), static n => n.StartsWith("DotNext", StringComparison.Ordinal));
        Assert.DoesNotContain(References(Protocol), static n => n.StartsWith("DotNext", StringComparison.Ordinal));
        Assert.DoesNotContain(References(StateMachine), static n => n.StartsWith("DotNext", StringComparison.Ordinal));
        Assert.DoesNotContain(References(Protocol), static n => n.StartsWith("RaftKV", StringComparison.Ordinal));
    }

    [Fact]
    public void StateMachine_UsesNoClock()
    {
        // The state machine's time is the log entry's timestamp: no type in it may read the wall clock.
        var clockTypes = new[] { typeof(DateTime), typeof(DateTimeOffset), typeof(System.Diagnostics.Stopwatch), typeof(TimeProvider), typeof(Environment) };
        var offenders = new List<string>();
        foreach (var type in StateMachine.GetTypes())
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                foreach (var callee in IlCalls.Callees(type, method))
                {
                    if (callee.DeclaringType is { } declaring && clockTypes.Contains(declaring)
                        && callee.Name is "get_Now" or "get_UtcNow" or "GetTimestamp" or "StartNew" or "GetUtcNow" or "get_TickCount64" or "get_TickCount")
                        offenders.Add($"{type.Name}.{method.Name} calls {declaring.Name}.{callee.Name}");
                }
            }
        }

        Assert.Empty(offenders);
    }

    // DESIGN.md: no reflection into another library's non-public members (a DotNext upgrade would silently change what
    // consensus safety rests on). Every member or type lookup by name in RaftKV.Node's IL and every UnsafeAccessor is
    // listed, for any library: none is allowed.
    private static readonly string[] MemberLookups =
        ["GetField", "GetFields", "GetProperty", "GetProperties", "GetMethod", "GetMethods", "GetMember", "GetMembers",
         "GetInterfaceMap", "GetConstructor", "GetConstructors", "GetSetMethod", "GetGetMethod", "InvokeMember", "GetRuntimeField",
         "GetRuntimeMethod", "GetRuntimeProperty", "GetDeclaredField", "GetDeclaredMethod", "GetDeclaredProperty", "GetType",
         "GetNestedType", "GetNestedTypes", "GetInterface", "GetTypes", "GetExportedTypes"];

    [Fact]
    public void Node_LooksUpNoMemberByReflection()
    {
        var offenders = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in Node.GetTypes())
        {
            foreach (var method in IlCalls.Bodies(type))
            {
                if (method.CustomAttributes.Any(static a => a.AttributeType.Name == "UnsafeAccessorAttribute"))
                    offenders.Add($"{type.FullName}.{method.Name} is an UnsafeAccessor");
                foreach (var callee in IlCalls.Callees(type, method))
                {
                    if (callee.DeclaringType is { } declaring
                        && (declaring == typeof(Type) || declaring.Namespace == "System.Reflection" || declaring == typeof(TypeInfo) || declaring.Name == "RuntimeReflectionExtensions")
                        && MemberLookups.Contains(callee.Name))
                        offenders.Add($"{type.FullName}.{method.Name} calls {declaring.Name}.{callee.Name}");
                }
            }
        }

        Assert.Empty(offenders);
    }
}
