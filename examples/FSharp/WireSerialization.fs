/// How messages are serialised: F# records, unions and options with the default MessagePack
/// codec, and a value that cannot travel (a function) refused up front, naming the member.
module TractorNet.Examples.WireSerialization

open System
open TractorNet.Wire

type Shape =
    | Circle of radius: float
    | Square of side: float
    | Dot

type Job =
    { Name: string
      Shapes: Shape list
      Deadline: DateTime option }

type WithCallback = { Name: string; Callback: int -> unit }

let example =
    { Name = "wire-serialization"
      Summary = "Round-trips an F# record/union through MessagePack and shows the bytes."
      Run =
        fun _ ->
            task {
                let job = { Name = "paint"; Shapes = [ Circle 1.5; Dot ]; Deadline = None }
                let bytes = MsgPack.serialize job
                // [ "paint", [ [0, 1.5], 2 ], nil ]: records are arrays, unions [tag, fields] or a bare tag.
                printfn $"%d{bytes.Length} bytes: {Convert.ToHexString bytes}"
                let back = MsgPack.deserialize<Job> bytes
                if back <> job then failwith "round trip changed the job"
                try
                    MsgPackSerializer.Default.Validate typeof<WithCallback>
                    failwith "a function should not be serialisable"
                with :? UnserializableTypeException as e ->
                    printfn $"{e.Message}"
            } }
