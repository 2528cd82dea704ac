namespace RaftKV.StateMachine.Commands;

/// <summary>Which geo search command is running: it decides the fixed arguments and which options are allowed.</summary>
internal enum GeoSearchKind
{
    /// <summary>GEORADIUS key lon lat radius unit, STORE/STOREDIST allowed.</summary>
    Radius,

    /// <summary>GEORADIUSBYMEMBER key member radius unit, STORE/STOREDIST allowed.</summary>
    RadiusByMember,

    /// <summary>GEORADIUS_RO: no STORE.</summary>
    RadiusReadOnly,

    /// <summary>GEORADIUSBYMEMBER_RO: no STORE.</summary>
    RadiusByMemberReadOnly,

    /// <summary>GEOSEARCH key FROMMEMBER|FROMLONLAT BYRADIUS|BYBOX ...</summary>
    Search,

    /// <summary>GEOSEARCHSTORE dest key ... [STOREDIST].</summary>
    SearchStore,
}
