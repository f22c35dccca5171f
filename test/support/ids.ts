import { NodeType, toGlobalId } from "../../src/ids";

export const gid = (type: NodeType, id: number): string => toGlobalId(type, id);
