#map = affine_map<(d0, d1) -> (d0 + d1)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map2 = affine_map<() -> (0)>
#map3 = affine_map<() -> (3)>
#map4 = affine_map<() -> (8)>
#map5 = affine_map<() -> (6)>
#map6 = affine_map<() -> (1)>
"builtin.module"() ({
  "func.func"() <{function_type = (memref<1x8x8x8xf32>, memref<8x8x3x3xf32>, memref<1x8x6x6xf32>) -> (), sym_name = "conv"}> ({
  ^bb0(%arg0: memref<1x8x8x8xf32>, %arg1: memref<8x8x3x3xf32>, %arg2: memref<1x8x6x6xf32>):
    "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map6}> ({
    ^bb0(%arg3: index):
      "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map4}> ({
      ^bb0(%arg4: index):
        "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map5}> ({
        ^bb0(%arg5: index):
          "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map5}> ({
          ^bb0(%arg6: index):
            "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map4}> ({
            ^bb0(%arg7: index):
              "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map3}> ({
              ^bb0(%arg8: index):
                "affine.for"() <{lowerBoundMap = #map2, operandSegmentSizes = array<i32: 0, 0, 0>, step = 1 : index, upperBoundMap = #map3}> ({
                ^bb0(%arg9: index):
                  %0 = "affine.apply"(%arg5, %arg8) <{map = #map}> : (index, index) -> index
                  %1 = "affine.apply"(%arg6, %arg9) <{map = #map}> : (index, index) -> index
                  %2 = "affine.load"(%arg0, %arg3, %arg7, %0, %1) <{map = #map1}> : (memref<1x8x8x8xf32>, index, index, index, index) -> f32
                  %3 = "affine.load"(%arg1, %arg4, %arg7, %arg8, %arg9) <{map = #map1}> : (memref<8x8x3x3xf32>, index, index, index, index) -> f32
                  %4 = "affine.load"(%arg2, %arg3, %arg4, %arg5, %arg6) <{map = #map1}> : (memref<1x8x6x6xf32>, index, index, index, index) -> f32
                  %5 = "arith.mulf"(%2, %3) <{fastmath = #arith.fastmath<none>}> : (f32, f32) -> f32
                  %6 = "arith.addf"(%4, %5) <{fastmath = #arith.fastmath<none>}> : (f32, f32) -> f32
                  "affine.store"(%6, %arg2, %arg3, %arg4, %arg5, %arg6) <{map = #map1}> : (f32, memref<1x8x6x6xf32>, index, index, index, index) -> ()
                  "affine.yield"() : () -> ()
                }) : () -> ()
                "affine.yield"() : () -> ()
              }) : () -> ()
              "affine.yield"() : () -> ()
            }) : () -> ()
            "affine.yield"() : () -> ()
          }) : () -> ()
          "affine.yield"() : () -> ()
        }) : () -> ()
        "affine.yield"() : () -> ()
      }) : () -> ()
      "affine.yield"() : () -> ()
    }) : () -> ()
    "func.return"() : () -> ()
  }) : () -> ()
}) : () -> ()

