using System.Reflection;

namespace RaftKV.Node.Tests.Infrastructure;

/// <summary>What a method's IL calls, read from the built assembly (architecture and test-isolation checks).</summary>
internal static class IlCalls
{
    /// <summary>The methods and constructors <paramref name="type"/> declares, static ones too (field initializers run in the
    /// constructors, a static one's in the type initializer).</summary>
    public static IEnumerable<MethodBase> Bodies(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        return type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all));
    }

    // The methods a method's IL calls (call and callvirt), those a token resolves to.
    public static IEnumerable<MethodBase> Callees(Type type, MethodBase method)
    {
        var body = method.GetMethodBody()?.GetILAsByteArray();
        if (body is null)
            yield break;
        foreach (var token in CallTokens(body))
        {
            MethodBase? callee;
            try
            {
                callee = method.Module.ResolveMethod(token, type.IsGenericType ? type.GetGenericArguments() : null,
                    method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (Exception e) when (e is ArgumentException or TypeLoadException or MissingMemberException or FileNotFoundException or BadImageFormatException)
            {
                // The scan takes every 0x28 or 0x6F byte for a call, operands' bytes too: a token that is not a
                // method, or one that does not load.
                continue;
            }

            if (callee is not null)
                yield return callee;
        }
    }

    // call (0x28) and callvirt (0x6F) are followed by a 4-byte method token.
    private static IEnumerable<int> CallTokens(byte[] il)
    {
        for (var i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is 0x28 or 0x6F)
                yield return BitConverter.ToInt32(il, i + 1);
        }
    }
}
