/// Renders a registry's entries as a tree, as `pstree` shows a process tree: each actor under
/// its parent (an actor whose parent is not registered starts a tree of its own).
module TractorNet.Tool.TreeView

open System
open TractorNet

/// How long ago `registered` (Unix ms) was, in words.
let private uptime (now: int64) (registered: int64) =
    let t = TimeSpan.FromMilliseconds(float (max 0L (now - registered)))
    if t.TotalHours >= 1.0 then $"{int t.TotalHours}h{t.Minutes:D2}m"
    elif t.TotalMinutes >= 1.0 then $"{int t.TotalMinutes}m{t.Seconds:D2}s"
    else $"{t.TotalSeconds:F1}s"

/// One line per entry: `name  pid N  host H  up T  address`.
let private describe (now: int64) (e: ActorEntry) =
    $"{e.Name}  pid {e.Pid}  host {e.Host}  up {uptime now e.Registered}  {e.Address}"

/// The tree's lines. An actor registered under several names is shown once per name.
let render (now: int64) (entries: ActorEntry list) : string list =
    let uids = entries |> List.map _.Uid |> Set.ofList
    let childrenOf (uid: string) = entries |> List.filter (fun e -> e.Parent = uid && e.Uid <> uid)
    // One node per actor (its first name); its other names are listed on its line.
    let names (uid: string) = entries |> List.filter (fun e -> e.Uid = uid) |> List.map _.Name |> List.distinct

    let rec lines (prefix: string) (last: bool) (isTop: bool) (e: ActorEntry) : string list =
        let also =
            match names e.Uid |> List.filter ((<>) e.Name) with
            | [] -> ""
            | more -> $"""  (also {String.Join(", ", more)})"""

        let head = if isTop then "" elif last then "└─ " else "├─ "
        let childPrefix = if isTop then "" elif last then prefix + "   " else prefix + "│  "
        let kids = childrenOf e.Uid |> List.distinctBy _.Uid

        (prefix + head + describe now e + also)
        :: (kids |> List.mapi (fun i k -> lines childPrefix (i = kids.Length - 1) false k) |> List.concat)

    let tops =
        entries
        |> List.filter (fun e -> e.Parent = "" || not (uids.Contains e.Parent))
        |> List.distinctBy _.Uid

    tops |> List.collect (lines "" true true)
