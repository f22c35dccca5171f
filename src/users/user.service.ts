import { EntityManager } from "typeorm";
import { User } from "../../entities";
import { Clock } from "../clock";

export class UserService {
  constructor(private readonly clock: Clock) {}

  /** The user with this (lower-cased) email, created if new (R7, R13). */
  async findOrCreate(manager: EntityManager, email: string): Promise<User> {
    const existing = await manager.findOneBy(User, { email });
    if (existing) return existing;
    await manager.createQueryBuilder().insert().into(User).values({ email, name: null, createdAt: this.clock.now() }).orIgnore().execute();
    return manager.findOneByOrFail(User, { email });
  }

  async byId(manager: EntityManager, id: number): Promise<User> {
    return manager.findOneByOrFail(User, { id });
  }
}
