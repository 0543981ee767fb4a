import { MemoryStateStore } from "../src/approval/memory-state-store.js";
import { stateStoreContract } from "./state-store-contract.js";

stateStoreContract("memory", () => new MemoryStateStore());
